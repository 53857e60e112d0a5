using System.CommandLine;

namespace Maas.Cli.Commands;

/// <summary>
/// Wraps command bodies so any failure is one readable line on stderr and exit code 1, instead
/// of a stack trace. Bodies write to the invocation's Output so tests can capture it.
/// </summary>
public static class CliAction
{
    public delegate Task<int> Body(ParseResult parseResult, TextWriter output, CancellationToken cancellationToken);

    /// <summary>A command body that does its work synchronously (engine tools that run on the calling thread).</summary>
    public delegate int SynchronousBody(ParseResult parseResult, TextWriter output, CancellationToken cancellationToken);

    public static void SetMaasAction(this Command command, SynchronousBody body) =>
        command.SetMaasAction((parseResult, output, cancellationToken) => Task.FromResult(body(parseResult, output, cancellationToken)));

    public static void SetMaasAction(this Command command, Body body)
    {
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            try
            {
                return await body(parseResult, output, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await error.WriteLineAsync("cancelled");
                return 130;
            }
            catch (Exception ex)
            {
                await error.WriteLineAsync("error: " + Describe(ex));
                return 1;
            }
        });
    }

    public static async Task<int> FailAsync(ParseResult parseResult, string message)
    {
        await parseResult.InvocationConfiguration.Error.WriteLineAsync("error: " + message);
        return 1;
    }

    private static string Describe(Exception ex)
    {
        // EF wraps the database's reason (e.g. a unique violation) in InnerException.
        var message = ex.Message;
        if (ex.InnerException is { } inner && !message.Contains(inner.Message, StringComparison.Ordinal))
        {
            message += " (" + inner.Message + ")";
        }

        return ex is Infrastructure.Tenancy.TenancyException or Infrastructure.Billing.BillingException or Infrastructure.Administration.AdministrationException or FormatException ? message : $"{message} [{ex.GetType().Name}]";
    }
}
