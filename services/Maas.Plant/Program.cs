using Maas.Plant;

var app = PlantApplication.Build(args);
await app.RunAsync();
