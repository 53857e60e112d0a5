using Maas.Infrastructure.Billing;

namespace Maas.Testing;

/// <summary>
/// Prices for the models test fixtures serve: a model without a price is refused at admission (a configuration
/// error, never a silent zero), so every fixture that generates seeds them.
/// </summary>
public static class TestPrices
{
    /// <summary>USD per million tokens: prompt tokens not cached, cached prompt tokens, completion tokens.</summary>
    public const decimal InputMiss = 0.27m;
    public const decimal InputHit = 0.07m;
    public const decimal Output = 1.10m;
    public const decimal BatchDiscount = 0.5m;
    public const string Currency = "USD";

    /// <summary>Prices each model from the Unix epoch on, so usage at any test time is priced.</summary>
    public static async Task SeedAsync(PostgresTestDatabase database, params string[] models)
    {
        await using var db = database.CreateContext();
        var registry = new PriceBookRegistry(db);
        foreach (var model in models)
        {
            await registry.SetAsync(model, null, InputMiss, InputHit, Output, Currency, BatchDiscount, DateTimeOffset.UnixEpoch, CancellationToken.None);
        }
    }
}
