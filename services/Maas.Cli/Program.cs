using System.CommandLine;
using Maas.Cli.Commands;

var model = new Command("model", "Models") { ModelInitRandomCommand.Create() };
var root = new RootCommand("maas: Model-as-a-Service command line") { model, GenerateCommand.Create(), BenchCommands.Create(), CheckGoldenCommand.Create() };
return await root.Parse(args).InvokeAsync();
