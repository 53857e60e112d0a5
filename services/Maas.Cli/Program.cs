using System.CommandLine;
using Maas.Cli.Commands;

var root = new RootCommand("maas: Model-as-a-Service command line");
root.Subcommands.Add(CheckGoldenCommand.Create());
return root.Parse(args).Invoke();
