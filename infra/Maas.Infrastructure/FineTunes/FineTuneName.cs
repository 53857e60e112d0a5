using System.Buffers;

namespace Maas.Infrastructure.FineTunes;

/// <summary>
/// The model name of a tenant fine-tune, "ft:{base model}:{tenant}:{name}" (OpenAI's style), and the rules for its
/// parts: a name is 1-64 of [A-Za-z0-9._-]; the tenant part is the owner's id, so a name never resolves to another
/// tenant's fine-tune.
/// </summary>
public static class FineTuneName
{
    public const string Prefix = "ft:";

    public const int MaxNameLength = 64;

    private static readonly SearchValues<char> NameCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");

    public static string Format(string baseModel, string tenantId, string name) => $"{Prefix}{baseModel}:{tenantId}:{name}";

    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= MaxNameLength && !name.AsSpan().ContainsAnyExcept(NameCharacters);

    /// <summary>Whether <paramref name="model"/> names a fine-tune at all (it may still belong to nobody).</summary>
    public static bool IsFineTune(string model) => model.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Splits "ft:{base}:{tenant}:{name}" (the base may itself contain ':'); false if it is not of that form.</summary>
    public static bool TryParse(string model, out string baseModel, out string tenantId, out string name)
    {
        baseModel = tenantId = name = "";
        if (!IsFineTune(model))
        {
            return false;
        }

        var rest = model[Prefix.Length..];
        var last = rest.LastIndexOf(':');
        if (last <= 0)
        {
            return false;
        }

        var middle = rest.LastIndexOf(':', last - 1);
        if (middle <= 0)
        {
            return false;
        }

        baseModel = rest[..middle];
        tenantId = rest[(middle + 1)..last];
        name = rest[(last + 1)..];
        return tenantId.Length > 0 && IsValidName(name);
    }
}
