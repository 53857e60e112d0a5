using System.CommandLine;
using Maas.Cli.Commands;

var model = new Command("model", "Models") { ModelInitRandomCommand.Create() };
var root = new RootCommand("maas") { model, GenerateCommand.Create(), BenchCommands.Create() };
return await root.Parse(args).InvokeAsync();
