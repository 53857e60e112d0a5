namespace Maas.Engine.Serving;

/// <summary>
/// The engine refused a request before generating anything: it can never fit (<see cref="GenerationRefusal.ExceedsKvCache"/>,
/// a client error) or the engine is too busy for it now (<see cref="GenerationRefusal.QueueFull"/>,
/// <see cref="GenerationRefusal.QueueTimeout"/>, worth retrying). <see cref="Limit"/> is the limit it ran into: the cache's
/// tokens, the queue's length, or the queue deadline in milliseconds.
/// </summary>
public sealed class GenerationRefusedException(GenerationRefusal reason, long limit, string message) : Exception(message)
{
    public GenerationRefusal Reason { get; } = reason;

    public long Limit { get; } = limit;
}
