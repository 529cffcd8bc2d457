// A consumer of the packed Anysola.Auth package: the public API works from the package alone.
using Anysola.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

var services = new ServiceCollection();
services.AddAnysolaAuth(options => options.BaseAddress = new Uri("http://127.0.0.1:9/"));
services.AddSingleton<ITokenStore>(new InMemoryTokenStore());
services.AddHttpClient("api").AddAnysolaAuthHandler();
await using var provider = services.BuildServiceProvider();

var manager = provider.GetRequiredService<TokenManager>();
try
{
    await manager.GetAccessTokenAsync();
    Console.Error.WriteLine("package-consumer: expected AnysolaLoginRequiredException with an empty store");
    return 1;
}
catch (AnysolaLoginRequiredException ex)
{
    Console.WriteLine($"package-consumer: signed out as expected ({ex.Error})");
}

try
{
    _ = new DeviceAuthorizationClient(new HttpClient(), new AnysolaAuthOptions { BaseAddress = new Uri("http://example.com/") });
    Console.Error.WriteLine("package-consumer: expected plain http to a remote host to be refused");
    return 1;
}
catch (OptionsValidationException ex) when (ex.Message.Contains("BaseAddress", StringComparison.Ordinal))
{
    Console.WriteLine("package-consumer: insecure BaseAddress refused as expected");
}

var tokens = new TokenSet { AccessToken = "ays_oauth_FAKE_consumer", ExpiresAt = DateTimeOffset.MaxValue };
if (tokens.ToString().Contains("ays_oauth_FAKE_consumer", StringComparison.Ordinal))
{
    Console.Error.WriteLine("package-consumer: TokenSet.ToString() revealed the token");
    return 1;
}

Console.WriteLine($"package-consumer: OK on {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");
return 0;
