namespace Maas.Checkpoints;

/// <summary>How router logits become expert scores (config field scoring_func).</summary>
public enum ScoringFunction
{
    Softmax,
    Sigmoid,
}
