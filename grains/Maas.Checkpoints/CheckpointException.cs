namespace Maas.Checkpoints;

/// <summary>A checkpoint (config.json or safetensors) is missing, malformed or does not match the architecture.</summary>
public sealed class CheckpointException : Exception
{
    public CheckpointException(string message)
        : base(message)
    {
    }

    public CheckpointException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
