namespace Maas.Checkpoints;

/// <summary>rope_scaling of type "yarn" as DeepSeek's configs spell it.</summary>
public sealed record YarnRopeScaling(
    double Factor,
    int OriginalMaxPositionEmbeddings,
    double BetaFast,
    double BetaSlow,
    double Mscale,
    double MscaleAllDim);
