using System.CommandLine;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;

namespace Maas.Cli.Commands;

/// <summary>`maas invoice generate|list|show|export`: monthly invoices from the hourly usage rollups.</summary>
public static class InvoiceCommands
{
    public static Command Create()
    {
        return new Command("invoice", "Monthly invoices per tenant") { CreateGenerate(), CreateList(), CreateShow(), CreateExport() };
    }

    private static Command CreateGenerate()
    {
        var tenant = new Option<string?>("--tenant") { Description = "Tenant id (default: every tenant)" };
        var month = new Option<string>("--month") { Description = "Month to invoice, yyyy-MM (UTC)", Required = true };
        var finalize = new Option<bool>("--finalize") { Description = "Finalise it: it never changes again (only for months that have ended)" };
        var command = new Command("generate", "Generate (or regenerate) a tenant's, or every tenant's, invoice for a month; idempotent") { tenant, month, finalize };
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var service = new InvoiceService(db);
            var invoiceMonth = CliParsing.Month(parseResult.GetValue(month)!, "--month");
            if (parseResult.GetValue(tenant) is { } tenantId)
            {
                var invoice = await service.GenerateAsync(tenantId, invoiceMonth, parseResult.GetValue(finalize), ct);
                await output.WriteLineAsync($"invoice {invoice.Id} ({invoice.Status}): {invoice.Lines.Count} lines, total {CliParsing.Money(invoice.Total)} {invoice.Currency}");
                return 0;
            }

            var refused = 0;
            foreach (var run in await service.GenerateForAllTenantsAsync(invoiceMonth, parseResult.GetValue(finalize), ct))
            {
                if (run.Invoice is { } invoice)
                {
                    await output.WriteLineAsync($"invoice {invoice.Id} ({invoice.Status}): {invoice.Lines.Count} lines, total {CliParsing.Money(invoice.Total)} {invoice.Currency}");
                }
                else
                {
                    refused++;
                    await parseResult.InvocationConfiguration.Error.WriteLineAsync($"error: tenant {run.TenantId}: {run.Error}");
                }
            }

            return refused == 0 ? 0 : 1;
        });
        return command;
    }

    private static Command CreateList()
    {
        var tenant = new Option<string?>("--tenant") { Description = "Only this tenant's invoices" };
        var command = new Command("list", "List invoices") { tenant };
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var table = new TextTable("ID", "TENANT", "MONTH", "STATUS", "TOTAL", "CURRENCY", "GENERATED", "FINALIZED");
            foreach (var i in await new InvoiceService(db).ListAsync(parseResult.GetValue(tenant), ct))
            {
                table.Add(i.Id, i.TenantId, i.PeriodStart.UtcDateTime.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture), i.Status, CliParsing.Money(i.Total), i.Currency, i.GeneratedAt, i.FinalizedAt);
            }

            await table.WriteAsync(output);
            return 0;
        });
        return command;
    }

    private static Command CreateShow()
    {
        var id = new Argument<string>("id") { Description = "Invoice id, e.g. inv_202611_acme" };
        var command = new Command("show", "Show an invoice and its lines") { id };
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var invoice = await new InvoiceService(db).FindAsync(parseResult.GetValue(id)!, ct);
            if (invoice is null)
            {
                return await CliAction.FailAsync(parseResult, $"invoice '{parseResult.GetValue(id)}' does not exist.");
            }

            await output.WriteLineAsync($"invoice {invoice.Id}  tenant {invoice.TenantId}  {invoice.PeriodStart:yyyy-MM-dd} to {invoice.PeriodEnd:yyyy-MM-dd} (UTC)  {invoice.Status}");
            var table = new TextTable("LINE", "MODEL", "FINE_TUNE", "TOKEN_CLASS", "TOKENS", "AVG_PRICE_PER_M", "AMOUNT");
            foreach (var line in invoice.Lines)
            {
                table.Add(line.LineNumber, line.Model, line.FineTune.Length == 0 ? null : line.FineTune, line.TokenClass, line.Tokens, line.AveragePricePerMillion, CliParsing.Money(line.Amount));
            }

            await table.WriteAsync(output);
            await output.WriteLineAsync($"total {CliParsing.Money(invoice.Total)} {invoice.Currency}");
            return 0;
        });
        return command;
    }

    private static Command CreateExport()
    {
        var id = new Argument<string>("id") { Description = "Invoice id" };
        var file = new Option<string?>("--out") { Description = "Write the CSV to this file (default: standard output)" };
        var command = new Command("export", "Export an invoice as CSV") { id, file };
        command.SetMaasAction(async (parseResult, output, ct) =>
        {
            await using var db = MaasDbContext.Create(CliConnections.Postgres(parseResult));
            var invoice = await new InvoiceService(db).FindAsync(parseResult.GetValue(id)!, ct);
            if (invoice is null)
            {
                return await CliAction.FailAsync(parseResult, $"invoice '{parseResult.GetValue(id)}' does not exist.");
            }

            if (parseResult.GetValue(file) is { } path)
            {
                await using var writer = new StreamWriter(path);
                await InvoiceCsv.WriteAsync(invoice, writer, ct);
                await output.WriteLineAsync($"wrote {Path.GetFullPath(path)}");
            }
            else
            {
                await InvoiceCsv.WriteAsync(invoice, output, ct);
            }

            return 0;
        });
        return command;
    }
}
