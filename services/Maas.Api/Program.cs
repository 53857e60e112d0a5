using Maas.Api;

var app = ApiApplication.Build(args);
await app.RunAsync();
