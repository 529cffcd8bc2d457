using System.Globalization;
using System.Net;
using System.Text;
using Anysola.Auth.ReliabilityTests.Infrastructure;
using Xunit.Abstractions;

namespace Anysola.Auth.ReliabilityTests.Fuzz;

/// <summary>
/// Thousands of random and mutated responses fed to every response parser through a fake handler, and mutated token
/// files fed to the file store: only success or <see cref="AnysolaAuthException"/> may come out, and no call may hang.
/// The seed is fixed (override with ANYSOLA_FUZZ_SEED) so a failure can be replayed.
/// </summary>
public sealed class GeneratedInputTests(ITestOutputHelper output)
{
    private const int InputsPerParser = 1500;
    private const int TokenFiles = 3000;
    private static readonly TimeSpan CallBound = TimeSpan.FromSeconds(10);

    // Distinct values, so the shrinking clock keeps these two timeouts real and makes every other wait instant.
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromMilliseconds(17_123);
    private static readonly TimeSpan RefreshTimeout = TimeSpan.FromMilliseconds(61_789);

    private const string ValidDevice = """{"device_code":"dc_FAKE_1","user_code":"WDJB-MJHT","verification_uri":"https://anysola.test/device","verification_uri_complete":"https://anysola.test/device?user_code=WDJB-MJHT","expires_in":900,"interval":5}""";
    private const string ValidToken = """{"access_token":"ays_oauth_FAKE_new","refresh_token":"ays_refresh_FAKE_new","token_type":"Bearer","expires_in":3600,"scope":"agents:read agents:write"}""";
    private const string ValidUserInfo = """{"sub":"usr_ada","name":"Ada Lovelace","email":"ada@acme.test","workspace":{"id":"ws_acme","name":"Acme Corp","slug":"acme"},"role":"admin","scope":"agents:read"}""";
    private const string ValidError = """{"error":"authorization_pending","error_description":"Waiting for the person.","interval":5}""";

    private static readonly int[] Statuses = [200, 200, 200, 200, 200, 201, 204, 302, 400, 400, 401, 403, 408, 429, 500, 502, 503];
    private static readonly string?[] ContentTypes = ["application/json", "application/json", "text/plain", "text/html", null, "application/problem+json"];
    private static readonly string?[] RetryAfters = [null, null, null, "1", "0", "-1", "0.5", "59", "61", "999999999", "1e308", "NaN", "abc",
        "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT", "Thu, 01 Jan 1970 00:00:00 GMT"];

    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("ANYSOLA_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : 8628;

    [Fact]
    public async Task ResponseParsers_ThousandsOfMutatedResponses_OnlyTypedErrorsAndNoHangs()
    {
        var mutator = new Mutator(Seed);
        var results = new Results();
        foreach (var target in new[] { "device start", "device poll", "refresh", "userinfo" })
        {
            for (var i = 0; i < InputsPerParser; i++)
            {
                var valid = target switch
                {
                    "device start" => ValidDevice,
                    "userinfo" => ValidUserInfo,
                    _ => ValidToken,
                };
                var (body, mutation) = mutator.Generate(mutator.Next(4) == 0 ? ValidError : valid);
                if (mutator.Next(100) == 0)
                {
                    // Now and then an oversized body with no Content-Length, to exercise the streaming cap.
                    body = Encoding.UTF8.GetBytes("{\"error_description\":\"" + new string('x', 1024 * 1024 + 10) + "\"}");
                    mutation = "oversized, unannounced length";
                }

                var response = new GeneratedResponse(
                    (HttpStatusCode)mutator.Pick(Statuses), body, mutator.Pick(ContentTypes), mutator.Pick(RetryAfters), mutator.Next(3) == 0);
                var retries = mutator.Next(2);
                await results.RunAsync(target, mutation, response, () => RunTargetAsync(target, response, retries));
            }
        }

        output.WriteLine($"seed {Seed}: {results.Summary()}");
        Report.Write("fuzz-parsers", results.Markdown($"Response parsers, seed {Seed}"));
        Assert.True(results.Failures.Count == 0, results.FailureText());
    }

    [Fact]
    public async Task FileTokenStoreGetAsync_ThousandsOfMutatedFiles_OnlyTypedErrorsAndOwnerOnlyMode()
    {
        var mutator = new Mutator(Seed + 1);
        var results = new Results();
        var directory = Harness.TempDirectory("fuzz-file");
        try
        {
            var path = Path.Combine(directory.FullName, "credentials.json");
            await new FileTokenStore(path).SaveAsync(new TokenSet
            {
                AccessToken = "ays_oauth_FAKE_file",
                RefreshToken = "ays_refresh_FAKE_file",
                ExpiresAt = new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero),
                IssuedAt = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero),
                Scopes = ["agents:read", "agents:write"],
            });
            var valid = await File.ReadAllTextAsync(path);

            for (var i = 0; i < TokenFiles; i++)
            {
                var (body, mutation) = mutator.Generate(valid);
                await File.WriteAllBytesAsync(path, body);
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
                }

                var response = new GeneratedResponse(HttpStatusCode.OK, body, null, null, false);
                await results.RunAsync("token file", mutation, response, async () =>
                {
                    var tokens = await new FileTokenStore(path).GetAsync();
                    Assert.NotNull(tokens);
                    Assert.False(string.IsNullOrEmpty(tokens.AccessToken));
                });
                if (!OperatingSystem.IsWindows())
                {
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
                }
            }
        }
        finally
        {
            Harness.TryDelete(directory);
        }

        output.WriteLine($"seed {Seed + 1}: {results.Summary()}");
        Report.Write("fuzz-file", results.Markdown($"Token file reader, seed {Seed + 1}"));
        Assert.True(results.Failures.Count == 0, results.FailureText());
    }

    private static async Task RunTargetAsync(string target, GeneratedResponse generated, int retries)
    {
        var time = new ShrinkingTimeProvider(RequestTimeout, RefreshTimeout);
        var options = new AnysolaAuthOptions
        {
            BaseAddress = new Uri("https://anysola.test/"),
            CliLabel = "fuzz",
            MaxRetryAttempts = retries,
            RequestTimeout = RequestTimeout,
            RefreshTimeout = RefreshTimeout,
        };

        var tokenCalls = 0;
        var userInfoCalls = 0;
        var deviceCalls = 0;
        using var http = new HttpClient(new FuncHandler(request =>
        {
            var path = request.RequestUri!.AbsolutePath;
            return path switch
            {
                "/api/oauth/device" => Interlocked.Increment(ref deviceCalls) == 1 || target == "device start" ? generated.ToResponse() : Valid(ValidDevice),
                "/api/oauth/token" when target is "device poll" or "refresh" =>
                    Interlocked.Increment(ref tokenCalls) == 1 ? generated.ToResponse() : Json(HttpStatusCode.BadRequest, """{"error":"access_denied"}"""),
                "/api/oauth/token" => Valid(ValidToken),
                "/api/oauth/userinfo" => Interlocked.Increment(ref userInfoCalls) == 1 && target == "userinfo" ? generated.ToResponse() : Valid(ValidUserInfo),
                _ => Json(HttpStatusCode.NotFound, """{"error":"not_found"}"""),
            };
        }));

        switch (target)
        {
            case "device start":
            {
                var authorization = await new DeviceAuthorizationClient(http, options, time).StartAsync();
                Assert.False(string.IsNullOrWhiteSpace(authorization.DeviceCode));
                Assert.True(authorization.Interval > TimeSpan.Zero);
                Assert.True(authorization.ExpiresAt > time.GetUtcNow() - TimeSpan.FromSeconds(1));
                break;
            }

            case "device poll":
            {
                var authorization = new DeviceAuthorization
                {
                    DeviceCode = "dc_FAKE_poll",
                    UserCode = "WDJB-MJHT",
                    VerificationUri = new Uri("https://anysola.test/device"),
                    ExpiresAt = time.GetUtcNow() + TimeSpan.FromMinutes(10),
                    Interval = TimeSpan.FromMilliseconds(1),
                };
                var tokens = await new DeviceAuthorizationClient(http, options, time).WaitForTokensAsync(authorization);
                Assert.False(string.IsNullOrWhiteSpace(tokens.AccessToken));
                break;
            }

            case "refresh":
            {
                var store = new InMemoryTokenStore();
                await store.SaveAsync(new TokenSet { AccessToken = "ays_oauth_FAKE_old", RefreshToken = "ays_refresh_FAKE_old", ExpiresAt = time.GetUtcNow() - TimeSpan.FromMinutes(1) });
                var manager = new TokenManager(http, store, options, time);
                var token = await manager.GetAccessTokenAsync();
                Assert.False(string.IsNullOrWhiteSpace(token));
                Assert.Equal(token, (await store.GetAsync())?.AccessToken);
                break;
            }

            default:
            {
                var store = new InMemoryTokenStore();
                await store.SaveAsync(new TokenSet { AccessToken = "ays_oauth_FAKE_old", RefreshToken = "ays_refresh_FAKE_old", ExpiresAt = time.GetUtcNow() + TimeSpan.FromHours(1) });
                var manager = new TokenManager(http, store, options, time);
                var info = await manager.GetUserInfoAsync();

                // A blank sub is accepted today; UserInfoDefectTests pins that separately.
                Assert.NotNull(info.Subject);
                break;
            }
        }
    }

    private static HttpResponseMessage Valid(string json) => Json(HttpStatusCode.OK, json);

    private static HttpResponseMessage Json(HttpStatusCode status, string json) => new(status)
    {
        Content = new StringContent(json, Encoding.UTF8, "application/json"),
    };

    /// <summary>A generated response, rebuilt fresh for each request (responses are disposed after use).</summary>
    public sealed record GeneratedResponse(HttpStatusCode Status, byte[] Body, string? ContentType, string? RetryAfter, bool Streamed)
    {
        public HttpResponseMessage ToResponse()
        {
            HttpContent content = Streamed ? new StreamContent(new MemoryStream(Body)) : new ByteArrayContent(Body);
            if (ContentType is not null)
            {
                content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }

            var response = new HttpResponseMessage(Status) { Content = content };
            if (RetryAfter is not null)
            {
                response.Headers.TryAddWithoutValidation("Retry-After", RetryAfter);
            }

            return response;
        }

        public string Describe() =>
            $"HTTP {(int)Status}, content type {ContentType ?? "none"}, Retry-After {RetryAfter ?? "none"}, {(Streamed ? "streamed" : "buffered")}, body (base64) {Mutator.Describe(Body)}";
    }

    private sealed class FuncHandler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(respond(request));
    }

    /// <summary>Tallies outcomes per target and keeps every input that broke the rules.</summary>
    private sealed class Results
    {
        private readonly SortedDictionary<string, SortedDictionary<string, int>> _outcomes = new(StringComparer.Ordinal);
        private readonly SortedDictionary<string, int> _mutations = new(StringComparer.Ordinal);

        public List<string> Failures { get; } = [];

        public int Total { get; private set; }

        public async Task RunAsync(string target, string mutation, GeneratedResponse input, Func<Task> call)
        {
            Total++;
            _mutations[mutation] = _mutations.GetValueOrDefault(mutation) + 1;
            string outcome;
            try
            {
                await call().WaitAsync(CallBound);
                outcome = "success";
            }
            catch (AnysolaAuthException ex)
            {
                outcome = ex.Error;
            }
            catch (TimeoutException)
            {
                outcome = "HANG";
                Failures.Add($"{target} [{mutation}] did not finish within {CallBound}: {input.Describe()}");
            }
            catch (Exception ex)
            {
                outcome = "UNTYPED " + ex.GetType().Name;
                Failures.Add($"{target} [{mutation}] threw {ex.GetType().FullName}: {ex.Message} at {ex.StackTrace?.Split('\n').FirstOrDefault()?.Trim()} for {input.Describe()}");
            }

            if (!_outcomes.TryGetValue(target, out var byOutcome))
            {
                _outcomes[target] = byOutcome = new SortedDictionary<string, int>(StringComparer.Ordinal);
            }

            byOutcome[outcome] = byOutcome.GetValueOrDefault(outcome) + 1;
        }

        public string Summary() =>
            $"{Total} inputs, {Failures.Count} broke the rules; " + string.Join("; ", _outcomes.Select(t => t.Key + ": " + string.Join(", ", t.Value.Select(o => $"{o.Key} {o.Value}"))));

        public string Markdown(string title)
        {
            var text = new StringBuilder();
            text.AppendLine(CultureInfo.InvariantCulture, $"**{title}**: {Total} inputs; {Failures.Count} produced an untyped exception or a hang.");
            text.AppendLine();
            text.AppendLine("| Target | Outcomes (count) |");
            text.AppendLine("|---|---|");
            foreach (var (target, outcomes) in _outcomes)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {target} | {string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}"))} |");
            }

            text.AppendLine();
            text.AppendLine("Inputs by mutation: " + string.Join(", ", _mutations.Select(m => $"{m.Key} {m.Value}")) + ".");
            return text.ToString();
        }

        public string FailureText() => $"{Failures.Count} inputs broke the rules:\n" + string.Join("\n", Failures.Take(25));
    }
}
