namespace Maas.Grains.Abstractions.FineTunes;

/// <summary>
/// Keys of <see cref="IExpertShardGrain"/>: "{fine-tune version key}@{worker silo}" (the silo as
/// <c>SiloAddress.ToParsableString()</c>), so each worker that runs a fine-tune has its own shard, placed on it.
/// </summary>
public static class ExpertShardKey
{
    public static string Format(string versionKey, string silo) => $"{versionKey}@{silo}";

    /// <summary>Splits a shard key; false for any other key (replica keys, ...).</summary>
    public static bool TryParse(string key, out string versionKey, out string silo)
    {
        versionKey = silo = "";
        var version = key.LastIndexOf("#v", StringComparison.Ordinal);
        var at = version < 0 ? -1 : key.IndexOf('@', version);
        if (at <= 0 || at == key.Length - 1)
        {
            return false;
        }

        versionKey = key[..at];
        silo = key[(at + 1)..];
        return true;
    }
}
