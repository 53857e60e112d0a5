namespace Maas.Infrastructure.Persistence;

/// <summary>One line of an invoice: one model (and fine-tune) and one token class.</summary>
public sealed class InvoiceLine
{
    public required string InvoiceId { get; set; }

    public int LineNumber { get; set; }

    public required string Model { get; set; }

    /// <summary>"" for the base model.</summary>
    public string FineTune { get; set; } = "";

    /// <summary>input_cache_miss, input_cache_hit or output.</summary>
    public required string TokenClass { get; set; }

    public long Tokens { get; set; }

    /// <summary>The exact cost over the month divided by the tokens, per million (an average when the price changed mid-month).</summary>
    public decimal AveragePricePerMillion { get; set; }

    /// <summary>The exact cost rounded to the currency's minor unit.</summary>
    public decimal Amount { get; set; }
}
