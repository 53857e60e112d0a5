using Maas.Worker;

var app = WorkerApplication.Build(args);
await app.RunAsync();
