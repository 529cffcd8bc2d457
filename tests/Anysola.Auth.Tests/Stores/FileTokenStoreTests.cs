using System.Runtime.Versioning;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Anysola.Auth.Tests.Stores;

/// <summary>FileTokenStore: round trip, owner-only modes, symbolic links, corrupt files and the cross-process lock.</summary>
/// <remarks>The mode and link tests are <see cref="UnixFactAttribute"/>s, skipped on Windows.</remarks>
[UnsupportedOSPlatform("windows")]
public sealed class FileTokenStoreTests(ITestOutputHelper output) : IDisposable
{
    private const UnixFileMode Mode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Mode0700 = Mode0600 | UnixFileMode.UserExecute;
    private const UnixFileMode Mode0644 = Mode0600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Mode0755 = Mode0700 | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task SaveAsync_ThenGetAsync_RoundTripsEveryField()
    {
        var store = new FileTokenStore(_temp.Combine("credentials.json"));
        var tokens = new TokenSet
        {
            AccessToken = "ays_oauth_FAKE_roundtrip",
            RefreshToken = "ays_refresh_FAKE_roundtrip",
            TokenType = "Bearer",
            ExpiresAt = new DateTimeOffset(2031, 2, 3, 4, 5, 6, 789, TimeSpan.FromHours(2)),
            IssuedAt = new DateTimeOffset(2031, 2, 3, 3, 5, 6, 123, TimeSpan.Zero),
            Scopes = ["agents:read", "agents:write", "audit:read"],
        };

        await store.SaveAsync(tokens);
        var read = await new FileTokenStore(store.Path).GetAsync();

        Assert.NotNull(read);
        Assert.Equal(tokens.AccessToken, read.AccessToken);
        Assert.Equal(tokens.RefreshToken, read.RefreshToken);
        Assert.Equal(tokens.TokenType, read.TokenType);
        Assert.Equal(tokens.ExpiresAt, read.ExpiresAt);
        Assert.Equal(tokens.ExpiresAt.Offset, read.ExpiresAt.Offset);
        Assert.Equal(tokens.IssuedAt, read.IssuedAt);
        Assert.Equal(tokens.Scopes, read.Scopes);
    }

    [Fact]
    public async Task SaveAsync_OptionalFieldsAbsent_RoundTripsAsAbsent()
    {
        var store = new FileTokenStore(_temp.Combine("credentials.json"));
        await store.SaveAsync(new TokenSet { AccessToken = "ays_oauth_FAKE_min", ExpiresAt = DateTimeOffset.UnixEpoch.AddYears(70) });

        var read = await store.GetAsync();

        Assert.NotNull(read);
        Assert.Null(read.RefreshToken);
        Assert.Null(read.IssuedAt);
        Assert.Empty(read.Scopes);
        Assert.Equal("Bearer", read.TokenType);
    }

    [Fact]
    public async Task GetAsync_NoFileOrDirectory_ReturnsNull()
    {
        Assert.Null(await new FileTokenStore(_temp.Combine("credentials.json")).GetAsync());
        Assert.Null(await new FileTokenStore(_temp.Combine("missing", "credentials.json")).GetAsync());
    }

    [UnixFact]
    public async Task SaveAsync_NewDirectory_CreatesOwnerOnlyDirectoryAndFilesAndLeavesNoTempFile()
    {
        var directory = _temp.Combine("config", "anysola");
        var store = new FileTokenStore(Path.Combine(directory, "credentials.json"));

        await store.SaveAsync(Tokens(1));
        await using (await store.AcquireLockAsync())
        {
        }

        Assert.Equal(Mode0700, File.GetUnixFileMode(directory));
        Assert.Equal(Mode0600, File.GetUnixFileMode(store.Path));
        Assert.Equal(Mode0600, File.GetUnixFileMode(store.LockPath));
        Assert.Equal(
            ["credentials.json", "credentials.json.lock"],
            Directory.GetFileSystemEntries(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [UnixFact]
    public async Task GetAsync_Existing0644File_TightensItTo0600()
    {
        var store = new FileTokenStore(_temp.Combine("credentials.json"));
        await store.SaveAsync(Tokens(1));
        File.SetUnixFileMode(store.Path, Mode0644);

        Assert.Equal("ays_oauth_FAKE_1", (await store.GetAsync())?.AccessToken);

        Assert.Equal(Mode0600, File.GetUnixFileMode(store.Path));
    }

    [UnixFact]
    public async Task SaveAsync_Existing0644FileIn0755Directory_TightensBoth()
    {
        var directory = _temp.Combine("wide");
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, Mode0755);
        var path = Path.Combine(directory, "credentials.json");
        await File.WriteAllTextAsync(path, "{}");
        File.SetUnixFileMode(path, Mode0644);

        await new FileTokenStore(path).SaveAsync(Tokens(2));

        Assert.Equal(Mode0700, File.GetUnixFileMode(directory));
        Assert.Equal(Mode0600, File.GetUnixFileMode(path));
        Assert.Equal("ays_oauth_FAKE_2", (await new FileTokenStore(path).GetAsync())?.AccessToken);
    }

    [UnixFact]
    public async Task AcquireLockAsync_Existing0755Directory_TightensItTo0700()
    {
        var directory = _temp.Combine("wide");
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, Mode0755);

        await using (await new FileTokenStore(Path.Combine(directory, "credentials.json")).AcquireLockAsync())
        {
            Assert.Equal(Mode0700, File.GetUnixFileMode(directory));
        }
    }

    [UnixFact]
    public async Task GetAsync_SymbolicLinkInPlaceOfFile_RefusedWithTypedErrorNamingPath()
    {
        var target = _temp.Combine("elsewhere.json");
        await new FileTokenStore(target).SaveAsync(Tokens(1));
        var store = new FileTokenStore(_temp.Combine("credentials.json"));
        File.CreateSymbolicLink(store.Path, target);

        var ex = await Assert.ThrowsAsync<AnysolaAuthException>(() => store.GetAsync().AsTask());

        Assert.Equal(AnysolaAuthErrors.TokenStoreError, ex.Error);
        Assert.Contains(store.Path, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ays_", ex.Message, StringComparison.Ordinal);
    }

    [UnixTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SaveAsync_SymbolicLinkInPlaceOfFile_RefusedAndTargetUntouched(bool targetExists)
    {
        var target = _temp.Combine("elsewhere.json");
        if (targetExists)
        {
            await new FileTokenStore(target).SaveAsync(Tokens(1));
        }

        var before = targetExists ? await File.ReadAllBytesAsync(target) : null;
        var store = new FileTokenStore(_temp.Combine("credentials.json"));
        File.CreateSymbolicLink(store.Path, target);

        var ex = await Assert.ThrowsAsync<AnysolaAuthException>(() => store.SaveAsync(Tokens(2)).AsTask());

        Assert.Equal(AnysolaAuthErrors.TokenStoreError, ex.Error);
        Assert.Contains(store.Path, ex.Message, StringComparison.Ordinal);
        Assert.NotNull(new FileInfo(store.Path).LinkTarget);
        if (targetExists)
        {
            Assert.Equal(before, await File.ReadAllBytesAsync(target));
        }
        else
        {
            Assert.False(File.Exists(target));
        }

        Assert.Empty(Directory.GetFiles(_temp.Path, "*.tmp"));
    }

    [UnixFact]
    public async Task ClearAsync_SymbolicLinkInPlaceOfFile_RemovesLinkNotTarget()
    {
        var target = _temp.Combine("elsewhere.json");
        await new FileTokenStore(target).SaveAsync(Tokens(1));
        var store = new FileTokenStore(_temp.Combine("credentials.json"));
        File.CreateSymbolicLink(store.Path, target);

        await store.ClearAsync();

        Assert.False(Path.Exists(store.Path));
        Assert.Equal("ays_oauth_FAKE_1", (await new FileTokenStore(target).GetAsync())?.AccessToken);
    }

    public static TheoryData<string, string> CorruptFiles => new()
    {
        { "garbage", "\u0001\u0002not json at all \u00ff" },
        { "empty", "" },
        { "truncated", """{"version":1,"access_token":"ays_oauth_FAKE_1","refresh_token":"ays_refr""" },
        { "wrong version", """{"version":2,"access_token":"ays_oauth_FAKE_1","expires_at":"2031-01-01T00:00:00+00:00"}""" },
        { "no version", """{"access_token":"ays_oauth_FAKE_1","expires_at":"2031-01-01T00:00:00+00:00"}""" },
        { "missing access_token", """{"version":1,"refresh_token":"ays_refresh_FAKE_1","expires_at":"2031-01-01T00:00:00+00:00"}""" },
        { "missing expires_at", """{"version":1,"access_token":"ays_oauth_FAKE_1"}""" },
        { "wrong type", """{"version":1,"access_token":"ays_oauth_FAKE_1","expires_at":12}""" },
        { "json null", "null" },
        { "json array", "[]" },
    };

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public async Task GetAsync_CorruptFile_TypedErrorNamingPathAndFileKept(string kind, string content)
    {
        var store = new FileTokenStore(_temp.Combine("credentials.json"));
        var bytes = Encoding.UTF8.GetBytes(content);
        await File.WriteAllBytesAsync(store.Path, bytes);

        var ex = await Assert.ThrowsAsync<AnysolaAuthException>(() => store.GetAsync().AsTask());

        Assert.Equal(AnysolaAuthErrors.TokenStoreError, ex.Error);
        Assert.Contains(store.Path, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("FAKE", ex.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(store.Path), $"The {kind} token file was deleted.");
        Assert.Equal(bytes, await File.ReadAllBytesAsync(store.Path));
    }

    [Fact]
    public async Task GetAccessTokenAsync_CorruptFile_SurfacesStoreErrorAndKeepsFile()
    {
        var store = new FileTokenStore(_temp.Combine("credentials.json"));
        await File.WriteAllTextAsync(store.Path, """{"version":1,"access_token":""");
        using var http = new HttpClient(new ThrowingHandler());
        var manager = new TokenManager(http, store, new AnysolaAuthOptions { MaxRetryAttempts = 0 });

        var ex = await Assert.ThrowsAsync<AnysolaAuthException>(() => manager.GetAccessTokenAsync().AsTask().WaitAsync(Bound));

        Assert.Equal(AnysolaAuthErrors.TokenStoreError, ex.Error);
        Assert.True(File.Exists(store.Path));
    }

    [Fact]
    public async Task AcquireLockAsync_TempFilesLeftByAKilledWriter_RemovesStaleOnesKeepsYoungOnes()
    {
        var store = new FileTokenStore(_temp.Combine("credentials.json"));
        var stale = _temp.Combine(".credentials.json.0123456789abcdef0123456789abcdef.tmp");
        var young = _temp.Combine(".credentials.json.fedcba9876543210fedcba9876543210.tmp");
        var unrelated = _temp.Combine(".other.json.0123456789abcdef0123456789abcdef.tmp");
        foreach (var file in new[] { stale, young, unrelated })
        {
            await File.WriteAllTextAsync(file, "{\"version\":1,\"access_token\":\"ays_oauth_FAKE_half");
        }

        // The young file keeps its fresh timestamp: a writer may still be busy with it.
        File.SetLastWriteTimeUtc(stale, DateTime.UnixEpoch);
        File.SetLastWriteTimeUtc(unrelated, DateTime.UnixEpoch);

        await using (await store.AcquireLockAsync())
        {
            Assert.False(File.Exists(stale));
            Assert.True(File.Exists(young));
            Assert.True(File.Exists(unrelated));
        }
    }

    [Fact]
    public async Task AcquireLockAsync_HeldByAnotherHandle_WaitsAndSucceedsAfterRelease()
    {
        var time = new FakeTimeProvider();
        var path = _temp.Combine("credentials.json");
        var first = new FileTokenStore(path, time);
        var second = new FileTokenStore(path, time);

        var held = await first.AcquireLockAsync();
        var waiting = second.AcquireLockAsync().AsTask();

        // A misclassified conflict would fail at once with token_store_error instead of waiting.
        Assert.False(waiting.IsCompleted, waiting.Exception?.GetBaseException().ToString());

        await held.DisposeAsync();
        time.Advance(TimeSpan.FromMilliseconds(5));
        var acquired = await waiting.WaitAsync(Bound);

        // Now the first store waits in turn.
        var again = first.AcquireLockAsync().AsTask();
        Assert.False(again.IsCompleted);
        await acquired.DisposeAsync();
        time.Advance(TimeSpan.FromMilliseconds(5));
        await (await again.WaitAsync(Bound)).DisposeAsync();
    }

    [Fact]
    public async Task AcquireLockAsync_HeldLongerThanLockTimeout_FailsWithLockTimeoutNamingLockPath()
    {
        var time = new FakeTimeProvider();
        var path = _temp.Combine("credentials.json");
        var first = new FileTokenStore(path, time);
        var second = new FileTokenStore(path, time) { LockTimeout = TimeSpan.FromSeconds(1) };

        await using var held = await first.AcquireLockAsync();
        var waiting = second.AcquireLockAsync().AsTask();
        Assert.False(waiting.IsCompleted, waiting.Exception?.GetBaseException().ToString());
        time.Advance(TimeSpan.FromSeconds(2));

        var ex = await Assert.ThrowsAsync<AnysolaAuthException>(() => waiting.WaitAsync(Bound));
        Assert.Equal(AnysolaAuthErrors.TokenStoreLockTimeout, ex.Error);
        Assert.Contains(second.LockPath, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AcquireLockAsync_ZeroLockTimeoutWhileHeld_FailsAtOnceWithLockTimeout()
    {
        var path = _temp.Combine("credentials.json");
        await using var held = await new FileTokenStore(path).AcquireLockAsync();

        var ex = await Assert.ThrowsAsync<AnysolaAuthException>(() =>
            new FileTokenStore(path) { LockTimeout = TimeSpan.Zero }.AcquireLockAsync().AsTask().WaitAsync(Bound));

        Assert.Equal(AnysolaAuthErrors.TokenStoreLockTimeout, ex.Error);
        Assert.Contains(path + ".lock", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LockFile_ExclusiveOpenWhileHeld_FailsWithAnIOExceptionTheStoreTreatsAsConflict()
    {
        // Documents the platform behaviour FileTokenStore.IsLockConflict relies on: FileShare.None is an OS lock
        // (flock on Unix), and a second exclusive open fails with a plain IOException carrying a known HResult.
        var store = new FileTokenStore(_temp.Combine("credentials.json"));
        await using var held = await store.AcquireLockAsync();

        var ex = Assert.ThrowsAny<IOException>(() =>
            new FileStream(store.LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None).Dispose());

        output.WriteLine($"{ex.GetType().FullName}: HResult 0x{ex.HResult:X8} (low word {ex.HResult & 0xFFFF}): {ex.Message}");
        Assert.Equal(typeof(IOException), ex.GetType());
        Assert.Contains(ex.HResult & 0xFFFF, new[] { 32, 33, 11, 35 });
    }

    private static TokenSet Tokens(int n) => new()
    {
        AccessToken = $"ays_oauth_FAKE_{n}",
        RefreshToken = $"ays_refresh_FAKE_{n}",
        ExpiresAt = new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(n),
        IssuedAt = new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero),
        Scopes = ["agents:read"],
    };

    private sealed class ThrowingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("No request is expected.");
    }
}
