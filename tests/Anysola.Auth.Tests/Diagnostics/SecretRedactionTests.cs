using Anysola.Auth.Tests.TestInfrastructure;
using Microsoft.Extensions.Logging;

namespace Anysola.Auth.Tests.Diagnostics;

/// <summary>No access token, refresh token or device code in a log line (any level), ToString() or exception message.</summary>
public sealed class SecretRedactionTests
{
    [Fact]
    public async Task FullSession_LoggedAtTrace_ContainsNoSecret()
    {
        var recorder = new RecordingLoggerProvider();
        using var loggers = recorder.CreateFactory();
        var scenario = new FullSessionScenario();

        await scenario.RunAsync(loggers);

        // The session really was logged, with fingerprints standing in for tokens.
        var events = recorder.Records.Select(r => r.EventId.Id).ToHashSet();
        Assert.Superset(new HashSet<int> { 1, 2, 3, 5, 6, 10, 11, 13, 20, 21, 31, 40 }, events);
        Assert.Contains(recorder.Records, r => r.Message.Contains(TokenSet.Fingerprint(FakeSecrets.Access(1)), StringComparison.Ordinal));
        Assert.Contains(recorder.Records, r => r.Level == LogLevel.Debug);

        var text = recorder.AllText().ToList();
        Assert.NotEmpty(text);
        foreach (var secret in FakeSecrets.All())
        {
            Assert.DoesNotContain(text, line => line.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task FullSession_Exceptions_ContainNoSecret()
    {
        var scenario = new FullSessionScenario();

        await scenario.RunAsync();

        Assert.NotEmpty(scenario.Exceptions);
        foreach (var error in scenario.Exceptions)
        {
            AssertNoSecret(error.ToString());
        }
    }

    [Fact]
    public void DeviceAuthorization_ToString_HidesTheDeviceCode()
    {
        var authorization = new DeviceAuthorization
        {
            DeviceCode = FakeSecrets.DeviceCode(1),
            UserCode = FakeSecrets.UserCode,
            VerificationUri = new Uri("https://anysola.test/device"),
            VerificationUriComplete = new Uri("https://anysola.test/device?user_code=WDJB-MJHT"),
            ExpiresAt = ObservableTimeProvider.Start,
            Interval = TimeSpan.FromSeconds(5),
        };

        var text = authorization.ToString();

        Assert.DoesNotContain(FakeSecrets.DeviceCode(1), text, StringComparison.Ordinal);
        Assert.Contains(FakeSecrets.UserCode, text, StringComparison.Ordinal);
        Assert.Contains("redacted", text, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeSecrets.DeviceCode(1), $"{authorization with { Interval = TimeSpan.FromSeconds(10) }}", StringComparison.Ordinal);
    }

    [Fact]
    public void TokenSet_ToString_ShowsFingerprintsNotTokens()
    {
        var tokens = FakeTokenSets.Valid(new ObservableTimeProvider());

        var text = tokens.ToString();

        Assert.DoesNotContain(FakeSecrets.Access(1), text, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeSecrets.Refresh(1), text, StringComparison.Ordinal);
        Assert.Contains(TokenSet.Fingerprint(FakeSecrets.Access(1)), text, StringComparison.Ordinal);
        Assert.Contains(TokenSet.Fingerprint(FakeSecrets.Refresh(1)), text, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeSecrets.Access(1), (tokens with { RefreshToken = null }).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Fingerprint_IsShortStableAndDoesNotRevealTheToken()
    {
        var fingerprint = TokenSet.Fingerprint(FakeSecrets.Access(1));

        Assert.Equal(8, fingerprint.Length);
        Assert.Equal(fingerprint, TokenSet.Fingerprint(FakeSecrets.Access(1)));
        Assert.NotEqual(fingerprint, TokenSet.Fingerprint(FakeSecrets.Access(2)));
        Assert.DoesNotContain(fingerprint, FakeSecrets.Access(1), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"access_token":"ays_oauth_FAKE_1_a7Qx93kZ","refresh_token":"ays_refresh_FAKE_1_r4Wm28pL","expires_in":"abc"}""")]
    [InlineData("""{"access_token":"ays_oauth_FAKE_1_a7Qx93kZ","refresh_token":"ays_refresh_FAKE_1_r4Wm28pL","token_type":"mac"}""")]
    [InlineData("""{"access_token":"ays_oauth_FAKE_1_a7Qx93kZ","refresh_token":"ays_refresh_FAKE_1_r4Wm28pL","scope":{"a":1}}""")]
    [InlineData("""{"access_token":"ays_oauth_FAKE_1_a7Qx93kZ","refresh_token":"ays_refresh_FAKE_1_r4Wm28pL""")]
    [InlineData("""{"refresh_token":"ays_refresh_FAKE_1_r4Wm28pL","expires_in":3600}""")]
    [InlineData("""{"access_token":"ays_oauth_FAKE_1_a7Qx93kZ","error":"invalid_request"}""")]
    public async Task MalformedTokenResponse_Exception_ContainsNoSecret(string body)
    {
        var time = new ObservableTimeProvider();
        var handler = new ScriptedHandler(_ => OAuthResponses.Json(System.Net.HttpStatusCode.OK, body));
        var manager = new TokenManager(new HttpClient(handler), new InMemoryTokenStore(FakeTokenSets.Expired(time, n: 2)), TestOptions.Create(), time);

        var error = await Assert.ThrowsAnyAsync<AnysolaAuthException>(() => manager.GetAccessTokenAsync().AsTask());

        AssertNoSecret(error.ToString());
    }

    [Theory]
    [InlineData("""{"device_code":"FAKE-DEVICE-1-d5Tn61vB","verification_uri":"https://anysola.test/device"}""")]
    [InlineData("""{"device_code":"FAKE-DEVICE-1-d5Tn61vB","user_code":"WDJB-MJHT","verification_uri":"nonsense"}""")]
    [InlineData("""{"device_code":"FAKE-DEVICE-1-d5Tn61vB","user_code":"WDJB-MJHT","verification_uri":"https://anysola.test/device","interval":-1}""")]
    [InlineData("""{"device_code":"FAKE-DEVICE-1-d5Tn61vB","user_code":7""")]
    public async Task MalformedDeviceResponse_Exception_ContainsNoSecret(string body)
    {
        var handler = new ScriptedHandler(_ => OAuthResponses.Json(System.Net.HttpStatusCode.OK, body));
        var client = new DeviceAuthorizationClient(new HttpClient(handler), TestOptions.Create(), new ObservableTimeProvider());

        var error = await Assert.ThrowsAsync<AnysolaAuthException>(() => client.StartAsync());

        AssertNoSecret(error.ToString());
    }

    private static void AssertNoSecret(string text)
    {
        foreach (var secret in FakeSecrets.All())
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }
}
