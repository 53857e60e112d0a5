using Maas.Gateway;

await GatewayApp.Build(args).RunAsync();
