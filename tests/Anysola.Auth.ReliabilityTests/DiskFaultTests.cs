using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Anysola.Auth.ReliabilityTests.Infrastructure;
using Anysola.Auth.Testing;
using Xunit.Abstractions;

namespace Anysola.Auth.ReliabilityTests;

/// <summary>
/// Disk and permission faults. Read-only and full file systems are real tmpfs mounts when this process may mount
/// (root on Linux, as in this sandbox; chmod cannot stop root); otherwise the same failure is injected through an
/// <see cref="ITokenStore"/> wrapper, and the report says which ran.
/// </summary>
[Collection(SerialCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DiskFaultTests(ITestOutputHelper output)
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly ConcurrentDictionary<string, string> Rows = new();

    [Fact]
    public async Task Refresh_DiskFullWhileSavingRotatedTokens_TypedErrorThenSessionRecoveredWithoutAnotherRefresh()
    {
        await using var server = await Harness.StartServerAsync();
        using var http = Harness.PlainClient();
        var options = Harness.Options(server.BaseAddress);
        await using var mount = await TmpfsMount.TryCreateAsync("full");
        var directory = mount?.Directory ?? Harness.TempDirectory("full").FullName;
        try
        {
            var fileStore = new FileTokenStore(Path.Combine(directory, "credentials.json"));
            var failing = new FailingStore(fileStore);
            ITokenStore store = mount is null ? failing : fileStore;
            var manager = new TokenManager(http, store, options);
            var initial = await Harness.LoginAsync(manager);
            await (await fileStore.AcquireLockAsync()).DisposeAsync(); // the lock file exists before the disk fills

            string? filler = null;
            if (mount is not null)
            {
                filler = FillDisk(directory);
            }
            else
            {
                failing.FailSaves = true;
            }

            var refreshesBefore = server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token");
            var error = await Assert.ThrowsAnyAsync<AnysolaAuthException>(() => Harness.Bounded(manager.RefreshAccessTokenAsync(initial.AccessToken)));
            Assert.Equal(AnysolaAuthErrors.TokenStoreError, error.Error);
            Assert.IsType<IOException>(error.InnerException, exactMatch: false);

            // The previous file is intact, no temporary file is left, and the server did rotate.
            var onDisk = await fileStore.GetAsync();
            Assert.Equal(initial.RefreshToken, onDisk?.RefreshToken);
            Assert.Empty(Directory.GetFiles(directory, "*.tmp"));
            Assert.False(server.IsRefreshTokenActive(initial.RefreshToken!));

            // Space comes back: the manager saves the tokens it kept and carries on, with no second refresh.
            if (filler is not null)
            {
                File.Delete(filler);
            }

            failing.FailSaves = false;
            var token = await Harness.Bounded(manager.RefreshAccessTokenAsync(initial.AccessToken));
            Assert.NotEqual(initial.AccessToken, token);
            var saved = await fileStore.GetAsync();
            Assert.Equal(token, saved?.AccessToken);
            Assert.True(server.IsRefreshTokenActive(saved!.RefreshToken!));
            Assert.Equal(refreshesBefore + 1, server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(fileStore.Path));
            Record("full disk during a refresh's save", mount is null ? "injected IOException (mount unavailable)" : "tmpfs (64 KiB) filled to ENOSPC",
                "token_store_error; previous file intact; no temp file; tokens kept in memory and saved once space returned, without a second refresh");
        }
        finally
        {
            if (mount is null)
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task SaveAndRefresh_ReadOnlyFileSystem_TypedErrorsPreviousFileIntactServerNotCalled()
    {
        await using var server = await Harness.StartServerAsync();
        using var http = Harness.PlainClient();
        var options = Harness.Options(server.BaseAddress);
        await using var mount = await TmpfsMount.TryCreateAsync("readonly");
        if (mount is null)
        {
            Record("read-only configuration directory", "not run: mount unavailable (covered by the ENOTDIR and injected-failure cases)", "-");
            return;
        }

        var store = new FileTokenStore(Path.Combine(mount.Directory, "credentials.json"));
        var manager = new TokenManager(http, store, options);
        var initial = await Harness.LoginAsync(manager);
        await mount.RemountAsync("ro");

        var saveError = await Assert.ThrowsAnyAsync<AnysolaAuthException>(async () => await store.SaveAsync(initial with { AccessToken = "ays_oauth_FAKE_other" }));
        Assert.Equal(AnysolaAuthErrors.TokenStoreError, saveError.Error);

        var refreshes = server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token");
        var refreshError = await Assert.ThrowsAnyAsync<AnysolaAuthException>(() => Harness.Bounded(manager.RefreshAccessTokenAsync(initial.AccessToken)));
        Assert.Equal(AnysolaAuthErrors.TokenStoreError, refreshError.Error);
        Assert.Equal(refreshes, server.CountRequests(AnysolaTestEndpoints.Token, "refresh_token"));
        Assert.Equal(initial.RefreshToken, (await store.GetAsync())?.RefreshToken);
        Assert.True(server.IsRefreshTokenActive(initial.RefreshToken!));

        await mount.RemountAsync("rw");
        var token = await Harness.Bounded(manager.RefreshAccessTokenAsync(initial.AccessToken));
        Assert.Equal(token, (await store.GetAsync())?.AccessToken);
        Record("read-only configuration directory", "tmpfs remounted read-only (EROFS)",
            "token_store_error from SaveAsync and from a refresh (lock cannot be opened), before any server call; previous file intact; refresh works once writable");
    }

    [Fact]
    public async Task SaveAsync_DirectoryPathUnderARegularFile_TypedErrorAndGetReturnsNull()
    {
        var directory = Harness.TempDirectory("enotdir");
        try
        {
            var blocker = Path.Combine(directory.FullName, "not-a-directory");
            await File.WriteAllTextAsync(blocker, "x");
            var store = new FileTokenStore(Path.Combine(blocker, "anysola", "credentials.json"));
            var error = await Assert.ThrowsAnyAsync<AnysolaAuthException>(async () => await store.SaveAsync(Tokens("enotdir")));
            Assert.Equal(AnysolaAuthErrors.TokenStoreError, error.Error);
            var lockError = await Assert.ThrowsAnyAsync<AnysolaAuthException>(async () => await store.AcquireLockAsync());
            Assert.Equal(AnysolaAuthErrors.TokenStoreError, lockError.Error);
            Assert.Null(await store.GetAsync());
            Assert.Equal("x", await File.ReadAllTextAsync(blocker));
            Record("configuration directory path runs through a regular file", "ENOTDIR",
                "token_store_error from SaveAsync and AcquireLockAsync; GetAsync reports signed out (null); nothing written");
        }
        finally
        {
            Harness.TryDelete(directory);
        }
    }

    [Fact]
    public async Task GetAndSave_WorldReadableFileAndDirectory_TightenedToOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var directory = Harness.TempDirectory("perm");
        try
        {
            var configDirectory = Path.Combine(directory.FullName, "anysola");
            var store = new FileTokenStore(Path.Combine(configDirectory, "credentials.json"));
            await store.SaveAsync(Tokens("perm"));
            File.SetUnixFileMode(store.Path, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
            File.SetUnixFileMode(configDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

            Assert.Equal("ays_oauth_FAKE_perm", (await store.GetAsync())?.AccessToken);
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(store.Path));
            await store.SaveAsync(Tokens("perm2"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(configDirectory));
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(store.Path));
            Record("world-readable token file and directory", "chmod 0646 / 0755", "file tightened to 0600 on read, directory to 0700 on save");
        }
        finally
        {
            Harness.TryDelete(directory);
        }
    }

    [Fact]
    public async Task GetSaveAndRefresh_TokenFileIsASymlink_RefusedAndTargetUntouched()
    {
        var directory = Harness.TempDirectory("symlink");
        try
        {
            var target = Path.Combine(directory.FullName, "elsewhere.json");
            await new FileTokenStore(target).SaveAsync(Tokens("target"));
            var before = await File.ReadAllBytesAsync(target);
            var link = Path.Combine(directory.FullName, "credentials.json");
            File.CreateSymbolicLink(link, target);
            var store = new FileTokenStore(link);

            Assert.Equal(AnysolaAuthErrors.TokenStoreError, (await Assert.ThrowsAnyAsync<AnysolaAuthException>(async () => await store.GetAsync())).Error);
            Assert.Equal(AnysolaAuthErrors.TokenStoreError, (await Assert.ThrowsAnyAsync<AnysolaAuthException>(async () => await store.SaveAsync(Tokens("through-link")))).Error);
            using var http = new HttpClient();
            var manager = new TokenManager(http, store, new AnysolaAuthOptions { BaseAddress = new Uri("https://anysola.test/"), MaxRetryAttempts = 0 });
            Assert.Equal(AnysolaAuthErrors.TokenStoreError, (await Assert.ThrowsAnyAsync<AnysolaAuthException>(async () => await manager.GetAccessTokenAsync())).Error);

            Assert.Equal(before, await File.ReadAllBytesAsync(target));
            Assert.NotNull(new FileInfo(link).LinkTarget);
            Assert.Empty(Directory.GetFiles(directory.FullName, "*.tmp"));
            Record("token file is a symbolic link", "symlink to another file", "token_store_error from GetAsync, SaveAsync and GetAccessTokenAsync; target untouched");
        }
        finally
        {
            Harness.TryDelete(directory);
        }
    }

    [Fact]
    public async Task SaveAsync_UnderPermissiveUmask_NoTemporaryOrFinalFileEverWiderThanOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var directory = Harness.TempDirectory("umask");
        var previous = Umask(0);
        try
        {
            var modes = new ConcurrentBag<UnixFileMode>();
            using var watcher = new FileSystemWatcher(directory.FullName) { IncludeSubdirectories = true, EnableRaisingEvents = true };
            watcher.Created += (_, e) =>
            {
                try
                {
                    modes.Add(File.GetUnixFileMode(e.FullPath));
                }
                catch (IOException)
                {
                    // Already renamed or deleted.
                }
            };

            var store = new FileTokenStore(Path.Combine(directory.FullName, "anysola", "credentials.json"));
            for (var i = 0; i < 300; i++)
            {
                await store.SaveAsync(Tokens("umask" + i));
            }

            await (await store.AcquireLockAsync()).DisposeAsync();
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(store.Path));
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(store.LockPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(store.Path)!));
            var files = modes.Where(m => (m & UnixFileMode.UserExecute) == 0).ToList();
            Assert.All(files, m => Assert.Equal(OwnerOnly, m));
            Record("process umask 000", $"300 saves; {files.Count} temporary or final files caught at creation by a watcher",
                "every file created 0600 (temporary files included), lock file 0600, directory 0700");
        }
        finally
        {
            Umask(previous);
            Harness.TryDelete(directory);
        }
    }

    private static TokenSet Tokens(string tag) => new()
    {
        AccessToken = "ays_oauth_FAKE_" + tag,
        RefreshToken = "ays_refresh_FAKE_" + tag,
        ExpiresAt = new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero),
        IssuedAt = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero),
        Scopes = ["agents:read"],
    };

    private static string FillDisk(string directory)
    {
        var filler = Path.Combine(directory, "filler");
        var chunk = new byte[4096];
        using var stream = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        try
        {
            while (true)
            {
                stream.Write(chunk);
            }
        }
        catch (IOException)
        {
            // ENOSPC: the file system is full.
        }

        return filler;
    }

    private void Record(string fault, string how, string outcome)
    {
        Rows[fault] = $"| {Report.Cell(fault)} | {Report.Cell(how)} | {Report.Cell(outcome)} |";
        Report.Write("disk", "| Fault | How it was produced | Observed |\n|---|---|---|\n" + string.Join("\n", Rows.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Value)) + "\n");
        output.WriteLine(Rows[fault]);
    }

    [DllImport("libc", EntryPoint = "umask")]
    private static extern uint Umask(uint mask);

    /// <summary>An injected IOException on save, the way FileTokenStore reports a full disk.</summary>
    private sealed class FailingStore(FileTokenStore inner) : ILockingTokenStore
    {
        public volatile bool FailSaves;

        public ValueTask<TokenSet?> GetAsync(CancellationToken cancellationToken = default) => inner.GetAsync(cancellationToken);

        public ValueTask SaveAsync(TokenSet tokens, CancellationToken cancellationToken = default) => FailSaves
            ? throw new AnysolaAuthException(AnysolaAuthErrors.TokenStoreError, null, null, "Could not write the token file: No space left on device", new IOException("No space left on device"))
            : inner.SaveAsync(tokens, cancellationToken);

        public ValueTask ClearAsync(CancellationToken cancellationToken = default) => inner.ClearAsync(cancellationToken);

        public ValueTask<IAsyncDisposable> AcquireLockAsync(CancellationToken cancellationToken = default) => inner.AcquireLockAsync(cancellationToken);
    }

    /// <summary>A small tmpfs mounted for one test, or null where mounting is not allowed.</summary>
    private sealed class TmpfsMount : IAsyncDisposable
    {
        private TmpfsMount(string directory) => Directory = directory;

        public string Directory { get; }

        public static async Task<TmpfsMount?> TryCreateAsync(string name)
        {
            if (!OperatingSystem.IsLinux())
            {
                return null;
            }

            var directory = System.IO.Directory.CreateTempSubdirectory("anysola-rel-mnt-" + name + "-").FullName;
            if (await RunAsync("mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", directory) == 0)
            {
                return new TmpfsMount(directory);
            }

            System.IO.Directory.Delete(directory);
            return null;
        }

        public async Task RemountAsync(string mode) =>
            Assert.Equal(0, await RunAsync("mount", "-o", "remount," + mode, Directory));

        public async ValueTask DisposeAsync()
        {
            if (await RunAsync("umount", Directory) != 0)
            {
                await RunAsync("umount", "-l", Directory);
            }

            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        private static async Task<int> RunAsync(string file, params string[] arguments)
        {
            var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            try
            {
                using var process = Process.Start(info)!;
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
                return process.ExitCode;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return -1;
            }
        }
    }
}
