using System.Text;
using Maas.Infrastructure.Billing;
using Maas.Infrastructure.Persistence;

namespace Maas.Portal.Invoices;

/// <summary>GET {PathBase}/invoices/{id}/csv: the invoice as `maas invoice export` writes it (<see cref="InvoiceCsv"/>), as a download.</summary>
public static class InvoiceCsvEndpoint
{
    public static IEndpointConventionBuilder MapInvoiceCsvEndpoint(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/invoices/{id}/csv", async (string id, MaasDbContext db, HttpContext http, CancellationToken ct) =>
        {
            var invoice = await new InvoiceService(db).FindAsync(id, ct);
            if (invoice is null)
            {
                return Results.NotFound();
            }

            http.Response.ContentType = "text/csv; charset=utf-8";
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"{invoice.Id}.csv\"";
            http.Response.Headers.CacheControl = "no-store";
            await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), leaveOpen: true);
            await InvoiceCsv.WriteAsync(invoice, writer, ct);
            await writer.FlushAsync(ct);
            return Results.Empty;
        }).RequireAuthorization();
}
