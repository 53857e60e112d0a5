namespace Maas.Engine.Serving;

/// <summary>
/// One tenant's sequences in one priority class: those waiting (in arrival order, preempted ones in front), how many run,
/// and its round-robin state. Only the scheduler thread touches it.
/// </summary>
internal sealed class TenantQueue(string tenantId)
{
    public string TenantId { get; } = tenantId;

    /// <summary>Admissions per round (the weight its latest request carried, at least 1).</summary>
    public int Weight { get; set; } = 1;

    /// <summary>Admissions left in its current turn.</summary>
    public int Credit { get; set; }

    public LinkedList<ActiveSequence> Waiting { get; } = new();

    /// <summary>Its sequences of this class in the running batch.</summary>
    public int Running { get; set; }

    /// <summary>Its place in the round-robin while it has waiting sequences.</summary>
    public LinkedListNode<TenantQueue>? Turn { get; set; }

    /// <summary>
    /// Whether giving one of its running sequences to <paramref name="other"/> still leaves it at least the share
    /// <paramref name="other"/> then has: (Running - 1) / Weight &gt;= (other.Running + 1) / other.Weight. Such a swap can
    /// never be swapped back, so preemption for fairness converges instead of flip-flopping (and in a one-slot batch
    /// nobody preempts anybody).
    /// </summary>
    public bool IsOverShareNextTo(TenantQueue other) => (long)(Running - 1) * other.Weight >= (long)(other.Running + 1) * Weight;
}
