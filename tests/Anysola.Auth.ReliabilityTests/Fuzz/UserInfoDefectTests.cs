using System.Net;
using System.Text;

namespace Anysola.Auth.ReliabilityTests.Fuzz;

/// <summary>Found by the generated-input run: a userinfo response whose <c>sub</c> is blank is accepted.</summary>
public sealed class UserInfoDefectTests
{
    [Theory]
    [InlineData("""{"sub":""}""")]
    [InlineData("""{"sub":"  "}""")]
    public async Task GetUserInfoAsync_BlankSub_InvalidResponse(string body)
    {
        using var http = new HttpClient(new Fixed(body));
        var store = new InMemoryTokenStore(new TokenSet { AccessToken = "ays_oauth_FAKE_blank", RefreshToken = "ays_refresh_FAKE_blank", ExpiresAt = DateTimeOffset.UtcNow + TimeSpan.FromHours(1) });
        var manager = new TokenManager(http, store, new AnysolaAuthOptions { BaseAddress = new Uri("https://anysola.test/"), MaxRetryAttempts = 0 });
        var error = await Assert.ThrowsAnyAsync<AnysolaAuthException>(() => manager.GetUserInfoAsync());
        Assert.Equal(AnysolaAuthErrors.InvalidResponse, error.Error);
    }

    private sealed class Fixed(string body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
    }
}
