namespace Maas.Checkpoints;

/// <summary>How a MoE router picks its experts (config field topk_method).</summary>
public enum TopKMethod
{
    Greedy,
    GroupLimitedGreedy,
    NoAuxTc,
}
