using Maas.Portal;

await PortalApplication.Build(args).RunAsync();
