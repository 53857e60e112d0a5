namespace Maas.Api.Tests.Support;

/// <summary>A test that needs a real checkpoint folder (with tokenizer files) named by MAAS_TEST_MODEL; skipped only when that is unset.</summary>
public sealed class ModelFactAttribute : FactAttribute
{
    public const string Variable = "MAAS_TEST_MODEL";

    public ModelFactAttribute()
    {
        if (string.IsNullOrEmpty(ModelPath))
        {
            Skip = $"{Variable} is not set: it must name a checkpoint folder (config.json, *.safetensors, tokenizer.json) to generate with.";
        }
    }

    public static string? ModelPath => Environment.GetEnvironmentVariable(Variable);
}
