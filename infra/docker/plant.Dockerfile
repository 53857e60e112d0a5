# Build from the repository root: docker build -f infra/docker/plant.Dockerfile -t maas-plant .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish services/Maas.Plant/Maas.Plant.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENTRYPOINT ["dotnet", "Maas.Plant.dll"]
