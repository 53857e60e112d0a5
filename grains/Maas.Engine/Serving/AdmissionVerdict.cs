namespace Maas.Engine.Serving;

/// <summary>What the scheduler did with a waiting sequence <see cref="FairQueue.Admit"/> offered it.</summary>
internal enum AdmissionVerdict
{
    /// <summary>It joined the running batch.</summary>
    Started,

    /// <summary>It left the queue for good (cancelled, failed).</summary>
    Removed,

    /// <summary>Its KV does not fit the free pages yet: it keeps its place, smaller ones behind it may start.</summary>
    Skipped,

    /// <summary>No batch slot for it and none it may take: its tenant keeps its turn, other tenants are asked.</summary>
    NoRoom,

    /// <summary>Admission stops here (a long-waiting sequence holds the free pages for itself).</summary>
    Hold,
}
