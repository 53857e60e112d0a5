namespace Maas.Grains.Abstractions.Models;

/// <summary>Builds and parses model replica grain keys: "{model}/{replica}" (model ids may contain '/').</summary>
public static class ReplicaKey
{
    public static string Format(string model, int replica) => $"{model}/{replica}";

    public static (string Model, int Replica) Parse(string key)
    {
        var slash = key.LastIndexOf('/');
        if (slash <= 0 || !int.TryParse(key.AsSpan(slash + 1), out var replica) || replica < 0)
        {
            throw new FormatException($"'{key}' is not a model replica key of the form '{{model}}/{{replica}}'.");
        }

        return (key[..slash], replica);
    }
}
