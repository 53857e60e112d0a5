namespace Maas.Infrastructure.Persistence;

/// <summary>A row of the models table: a model registered to be served, by its public id (the OpenAI "model" field).</summary>
public sealed class ModelRegistration
{
    public required string Id { get; set; }

    /// <summary>Checkpoint folder (Hugging Face layout) the workers load.</summary>
    public required string Path { get; set; }

    public string OwnedBy { get; set; } = "maas";

    public bool Enabled { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }
}
