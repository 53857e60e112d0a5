using System.CommandLine;
using Maas.Cli.Commands;

return await Program.CreateRootCommand().Parse(args).InvokeAsync();

/// <summary>The `maas` command tree; public so tests can invoke it in-process.</summary>
public sealed partial class Program
{
    /// <summary>One line per command group (Commands/*): adding a group is adding a line.</summary>
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("maas: operate a Maas deployment (database, tenants, keys, models, prices, usage, invoices, portal admins)")
        {
            CliConnections.CreatePostgresOption(),
            CliConnections.CreateRedisOption(),
        };
        root.Subcommands.Add(DbCommands.Create());
        root.Subcommands.Add(TenantCommands.Create());
        root.Subcommands.Add(KeyCommands.Create());

        var model = ModelCommands.Create();
        model.Subcommands.Add(ModelInitRandomCommand.Create());
        model.Subcommands.Add(ModelExportGgufCommand.Create());
        root.Subcommands.Add(model);

        root.Subcommands.Add(FineTuneCommands.Create());
        root.Subcommands.Add(PriceCommands.Create());
        root.Subcommands.Add(BudgetCommands.Create());
        root.Subcommands.Add(UsageCommands.Create());
        root.Subcommands.Add(InvoiceCommands.Create());
        root.Subcommands.Add(AdminCommands.Create());
        root.Subcommands.Add(DevCommands.Create());
        root.Subcommands.Add(GenerateTextCommand.Create());
        root.Subcommands.Add(BenchCommands.Create());
        root.Subcommands.Add(CheckGoldenCommand.Create());
        return root;
    }
}
