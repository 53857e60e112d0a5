namespace Maas.Engine.Model;

/// <summary>
/// How far <see cref="DeepseekModel.Load"/> has come: checkpoint bytes read and converted so far out of the
/// checkpoint's total (tensors a model does not use, such as V3's multi-token-prediction layer, are never read, so
/// the last report is Done with LoadedBytes set to TotalBytes).
/// </summary>
public readonly record struct ModelLoadProgress(long LoadedBytes, long TotalBytes, int LoadedTensors, int TotalTensors, bool Done)
{
    /// <summary>0 to 1.</summary>
    public double Fraction => TotalBytes <= 0 ? (Done ? 1 : 0) : Math.Min(1, (double)LoadedBytes / TotalBytes);
}
