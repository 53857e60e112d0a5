namespace Maas.Engine.Serving;

/// <summary>
/// Scheduling class of a sequence. Interactive sequences are admitted first and may take the slot and KV pages of a
/// running batch sequence (which is put back and later recomputed from its prompt and the tokens it already produced);
/// batch sequences only fill what interactive traffic leaves idle.
/// </summary>
public enum GenerationPriority
{
    Interactive = 0,
    Batch = 1,
}
