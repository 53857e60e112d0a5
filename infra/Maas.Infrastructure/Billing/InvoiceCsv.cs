using System.Globalization;
using Maas.Infrastructure.Persistence;

namespace Maas.Infrastructure.Billing;

/// <summary>An invoice as CSV (RFC 4180): one row per line, then a total row; amounts with invariant formatting.</summary>
public static class InvoiceCsv
{
    public const string Header = "invoice_id,tenant_id,period_start,period_end,currency,status,line,model,fine_tune,token_class,tokens,average_price_per_million,amount";

    public static async Task WriteAsync(Invoice invoice, TextWriter output, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync(Header.AsMemory(), cancellationToken);
        var prefix = string.Join(',',
            Field(invoice.Id), Field(invoice.TenantId), Date(invoice.PeriodStart), Date(invoice.PeriodEnd), Field(invoice.Currency), Field(invoice.Status));
        foreach (var line in invoice.Lines.OrderBy(l => l.LineNumber))
        {
            await output.WriteLineAsync(string.Join(',',
                prefix, Number(line.LineNumber), Field(line.Model), Field(line.FineTune), Field(line.TokenClass),
                Number(line.Tokens), line.AveragePricePerMillion.ToString("0.######", CultureInfo.InvariantCulture), Money(line.Amount, invoice.Currency)).AsMemory(), cancellationToken);
        }

        await output.WriteLineAsync($"{prefix},,,,total,,,{Money(invoice.Total, invoice.Currency)}".AsMemory(), cancellationToken);
    }

    private static string Date(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Number(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);

    private static string Money(decimal amount, string currency) => amount.ToString("F" + InvoiceService.MinorUnits(currency), CultureInfo.InvariantCulture);

    private static string Field(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}
