using System.Collections.Frozen;
using Maas.Infrastructure.Persistence;

namespace Maas.Infrastructure.Billing;

/// <summary>
/// The price book as loaded at one moment: every row of price_book, by model and fine-tune, ordered by the date
/// each takes effect. Immutable, so admission and the usage writer read it without locks.
/// </summary>
public sealed class PriceBook
{
    private readonly FrozenDictionary<string, ModelPrice[]> _byModel;

    public PriceBook(IEnumerable<ModelPrice> rows, DateTimeOffset loadedAt)
    {
        LoadedAt = loadedAt;
        _byModel = rows
            .GroupBy(r => Key(r.Model, r.FineTune), StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.OrderBy(r => r.EffectiveFrom).ToArray(), StringComparer.Ordinal);
    }

    public static PriceBook Empty { get; } = new([], DateTimeOffset.MinValue);

    public DateTimeOffset LoadedAt { get; }

    public int Count => _byModel.Values.Sum(r => r.Length);

    /// <summary>The deployment's billing currency (every row shares it), or null while the book is empty.</summary>
    public string? Currency => _byModel.Values.FirstOrDefault()?[0].Currency;

    /// <summary>
    /// The row in effect for the model at <paramref name="at"/>: the fine-tune's own row when it has one, else the
    /// base model's. Null when none was in effect yet (a configuration error the caller must surface, never a zero).
    /// </summary>
    public ModelPrice? Find(string model, string? fineTune, DateTimeOffset at)
    {
        if (fineTune is not null && Latest(Key(model, fineTune), at) is { } own)
        {
            return own;
        }

        return Latest(Key(model, null), at);
    }

    private ModelPrice? Latest(string key, DateTimeOffset at)
    {
        if (!_byModel.TryGetValue(key, out var rows))
        {
            return null;
        }

        for (var i = rows.Length - 1; i >= 0; i--)
        {
            if (rows[i].EffectiveFrom <= at)
            {
                return rows[i];
            }
        }

        return null;
    }

    private static string Key(string model, string? fineTune) => fineTune is null ? model : model + "\n" + fineTune;
}
