# Build from the repository root: docker build -f infra/docker/gateway.Dockerfile -t maas-gateway .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish gateway/Maas.Gateway/Maas.Gateway.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENTRYPOINT ["dotnet", "Maas.Gateway.dll"]
