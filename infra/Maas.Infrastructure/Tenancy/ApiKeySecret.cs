using System.Security.Cryptography;
using System.Text;

namespace Maas.Infrastructure.Tenancy;

/// <summary>Makes and hashes API key secrets ("sk-maas-" + 40 base62 characters).</summary>
public static class ApiKeySecret
{
    public const string Prefix = "sk-maas-";
    public const int DisplayLength = 12;
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string Create()
    {
        return Prefix + RandomNumberGenerator.GetString(Alphabet, 40);
    }

    /// <summary>Lower-case hex SHA-256; a fast hash is right here because the secret has 238 bits of entropy.</summary>
    public static string Hash(string secret)
    {
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
    }

    public static string DisplayPrefix(string secret)
    {
        return secret.Length <= DisplayLength ? secret : secret[..DisplayLength];
    }
}
