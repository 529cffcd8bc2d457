using System.Runtime.Versioning;
using System.Security.AccessControl;
using System.Security.Principal;
using System.Text.Json;
using Anysola.Auth.Diagnostics;
using Anysola.Auth.Stores;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anysola.Auth;

/// <summary>
/// Keeps tokens in a JSON file readable by its owner only (directory 0700, file 0600 on Unix; an owner-only ACL on
/// Windows). Writes are atomic (a temporary file in the same directory, flushed to disk, then renamed over the old
/// one), so a crash leaves either the old tokens or the new, never half of either. A symbolic link in place of the
/// file is refused. A lock file beside it (<see cref="LockPath"/>) serialises refreshes across processes.
/// </summary>
public sealed class FileTokenStore : ILockingTokenStore, ITokenStoreChangeStamp
{
    /// <summary>The environment variable that overrides the configuration directory.</summary>
    public const string ConfigDirectoryVariable = "ANYSOLA_CONFIG_DIR";

    /// <summary>The file name used inside the configuration directory.</summary>
    public const string DefaultFileName = "credentials.json";

    private const int MaxFileBytes = 1024 * 1024;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private static readonly TimeSpan MaxLockPollDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>A temporary file this old is a leftover of a writer that died; a live write takes milliseconds.</summary>
    private static readonly TimeSpan StaleTempFileAge = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _directory;

    /// <summary>Creates a store for the file at <paramref name="path"/>. Nothing is read or created until first use.</summary>
    /// <param name="path">The token file. Its directory is created (owner-only) when tokens are first saved.</param>
    /// <param name="timeProvider">The clock for lock timeouts. Default: <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">Where to log. Default: nowhere.</param>
    public FileTokenStore(string path, TimeProvider? timeProvider = null, ILogger<FileTokenStore>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        LockPath = Path + ".lock";
        _directory = System.IO.Path.GetDirectoryName(Path) ?? throw new ArgumentException("The path has no directory.", nameof(path));
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The full path of the token file.</summary>
    public string Path { get; }

    /// <summary>The full path of the lock file that serialises refreshes across processes.</summary>
    public string LockPath { get; }

    /// <summary>How long <see cref="AcquireLockAsync"/> waits for another process to release the lock. Default: 60 seconds.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The per-user configuration directory: <c>$ANYSOLA_CONFIG_DIR</c> if set, else <c>%APPDATA%\Anysola</c> on Windows,
    /// <c>$XDG_CONFIG_HOME/anysola</c>, or <c>~/.config/anysola</c>.
    /// </summary>
    public static string DefaultDirectory
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable(ConfigDirectoryVariable);
            if (!string.IsNullOrWhiteSpace(configured))
            {
                return System.IO.Path.GetFullPath(configured);
            }

            if (OperatingSystem.IsWindows())
            {
                return System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), "Anysola");
            }

            var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
            if (!string.IsNullOrWhiteSpace(xdg) && System.IO.Path.IsPathRooted(xdg))
            {
                return System.IO.Path.Combine(xdg, "anysola");
            }

            return System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "anysola");
        }
    }

    /// <summary>The default token file: <c>credentials.json</c> in <see cref="DefaultDirectory"/>.</summary>
    public static string DefaultPath => System.IO.Path.Combine(DefaultDirectory, DefaultFileName);

    /// <inheritdoc />
    /// <exception cref="AnysolaAuthException">The file is corrupt, a symbolic link, or unreadable (<see cref="AnysolaAuthErrors.TokenStoreError"/>).</exception>
    public async ValueTask<TokenSet?> GetAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        byte[] bytes;
        try
        {
            var info = new FileInfo(Path);
            if (info.LinkTarget is not null)
            {
                throw StoreError($"The token file {Path} is a symbolic link; refusing to follow it.");
            }

            if (!info.Exists)
            {
                return null;
            }

            if (info.Length > MaxFileBytes)
            {
                throw StoreError($"The token file {Path} is {info.Length} bytes, far larger than any token file; it is not a token file.");
            }

            TightenIfWider(_directory, OwnerOnlyDirectory);
            TightenIfWider(Path, OwnerOnlyFile);
            bytes = await File.ReadAllBytesAsync(Path, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw StoreError($"Could not read the token file {Path}: {ex.Message}", ex);
        }

        return Parse(bytes);
    }

    /// <inheritdoc />
    /// <exception cref="AnysolaAuthException">The file could not be written (<see cref="AnysolaAuthErrors.TokenStoreError"/>); the previous file is intact.</exception>
    public async ValueTask SaveAsync(TokenSet tokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        cancellationToken.ThrowIfCancellationRequested();
        var content = JsonSerializer.SerializeToUtf8Bytes(
            new StoredTokenFile
            {
                Version = StoredTokenFile.CurrentVersion,
                AccessToken = tokens.AccessToken,
                RefreshToken = tokens.RefreshToken,
                TokenType = tokens.TokenType,
                ExpiresAt = tokens.ExpiresAt,
                IssuedAt = tokens.IssuedAt,
                Scopes = [.. tokens.Scopes],
            },
            TokenStoreJsonContext.Default.StoredTokenFile);

        string? temp = null;
        try
        {
            EnsureDirectory();
            RefuseSymbolicLink();
            temp = System.IO.Path.Combine(_directory, $".{System.IO.Path.GetFileName(Path)}.{Guid.NewGuid():N}.tmp");
            var stream = CreateOwnerOnly(temp);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            // rename(2) replaces the old file atomically; readers see the old tokens or the new, never a mix.
            File.Move(temp, Path, overwrite: true);
            temp = null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw StoreError($"Could not write the token file {Path}: {ex.Message}", ex);
        }
        finally
        {
            if (temp is not null)
            {
                TryDelete(temp);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            // Deleting a symbolic link removes the link, never its target.
            File.Delete(Path);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw StoreError($"Could not delete the token file {Path}: {ex.Message}", ex);
        }

        return default;
    }

    /// <summary>
    /// Takes an exclusive lock on <see cref="LockPath"/> (an OS file lock, released by the OS if the process dies),
    /// waiting up to <see cref="LockTimeout"/>.
    /// </summary>
    /// <inheritdoc />
    public async ValueTask<IAsyncDisposable> AcquireLockAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            EnsureDirectory();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw StoreError($"Could not create the token directory {_directory}: {ex.Message}", ex);
        }

        var deadline = _time.GetUtcNow() + LockTimeout;
        var delay = TimeSpan.FromMilliseconds(5);
        var logged = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var stream = OpenLockFile();
                RemoveStaleTempFiles(stream);
                return new FileLock(stream);
            }
            catch (IOException ex) when (IsLockConflict(ex))
            {
                if (_time.GetUtcNow() >= deadline)
                {
                    throw new AnysolaAuthException(
                        AnysolaAuthErrors.TokenStoreLockTimeout,
                        null,
                        null,
                        $"Timed out after {LockTimeout} waiting for the token store lock {LockPath}; another process is holding it.",
                        ex);
                }

                if (!logged)
                {
                    Log.WaitingForStoreLock(_logger, LockPath);
                    logged = true;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw StoreError($"Could not open the token store lock {LockPath}: {ex.Message}", ex);
            }

            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            delay = delay * 2 > MaxLockPollDelay ? MaxLockPollDelay : delay * 2;
        }
    }

    /// <summary>
    /// A process killed mid-write leaves its temporary file behind, possibly holding a refresh token. Under the lock
    /// (every TokenManager write happens under it) such leftovers are removed; young ones are left alone in case a
    /// writer that does not use the lock is still busy with one.
    /// </summary>
    private void RemoveStaleTempFiles(FileStream lockFile)
    {
        try
        {
            // File times are compared with file times (the lock file was just written), never with the injected
            // clock, which may be a test's fake.
            lockFile.SetLength(0);
            lockFile.Write(System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n"));
            lockFile.Flush();
            var cutoff = File.GetLastWriteTimeUtc(LockPath) - StaleTempFileAge;
            foreach (var temp in Directory.EnumerateFiles(_directory, $".{System.IO.Path.GetFileName(Path)}.*.tmp"))
            {
                if (File.GetLastWriteTimeUtc(temp) < cutoff)
                {
                    TryDelete(temp);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Housekeeping only: the token file itself is never affected.
        }
    }

    /// <summary>The file's write time and size: an atomic replacement by any process changes them (one stat call).</summary>
    long ITokenStoreChangeStamp.GetChangeStamp()
    {
        try
        {
            var info = new FileInfo(Path);
            return info.Exists ? HashCode.Combine(info.LastWriteTimeUtc.Ticks, info.Length) : 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    private FileStream OpenLockFile()
    {
        // The lock file is written to (the holder's process id), so a link in its place is refused like the token file's.
        if (new FileInfo(LockPath).LinkTarget is not null)
        {
            throw new UnauthorizedAccessException($"The token store lock {LockPath} is a symbolic link; refusing to follow it.");
        }

        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        return new FileStream(LockPath, options);
    }

    // An exclusive open of a file another handle holds fails with a plain IOException: HResult 32/33 (sharing or lock
    // violation) on Windows, the errno EWOULDBLOCK from flock on Unix (11 on Linux, 35 on macOS). Missing paths and
    // permissions have their own exception types.
    private static bool IsLockConflict(IOException ex) =>
        ex is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException or DriveNotFoundException)
        && (ex.HResult & 0xFFFF) is 32 or 33 or 11 or 35;

    private TokenSet Parse(byte[] bytes)
    {
        StoredTokenFile? stored;
        try
        {
            stored = JsonSerializer.Deserialize(bytes, TokenStoreJsonContext.Default.StoredTokenFile);
        }
        catch (JsonException ex)
        {
            throw StoreError($"The token file {Path} is corrupt (not valid JSON at line {ex.LineNumber}). Log in again to replace it, or remove it.", ex);
        }

        if (stored is null || stored.Version == 0)
        {
            throw StoreError($"The token file {Path} is corrupt (no version). Log in again to replace it, or remove it.");
        }

        if (stored.Version != StoredTokenFile.CurrentVersion)
        {
            throw StoreError($"The token file {Path} has format version {stored.Version}, which this version of Anysola.Auth does not read.");
        }

        if (string.IsNullOrEmpty(stored.AccessToken) || stored.ExpiresAt is null)
        {
            throw StoreError($"The token file {Path} is corrupt (missing access_token or expires_at). Log in again to replace it, or remove it.");
        }

        return new TokenSet
        {
            AccessToken = stored.AccessToken,
            RefreshToken = stored.RefreshToken,
            TokenType = stored.TokenType ?? "Bearer",
            ExpiresAt = stored.ExpiresAt.Value,
            IssuedAt = stored.IssuedAt,
            Scopes = stored.Scopes ?? [],
        };
    }

    private void EnsureDirectory()
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(_directory);
            return;
        }

        if (!Directory.Exists(_directory))
        {
            Directory.CreateDirectory(_directory, OwnerOnlyDirectory);
        }

        TightenIfWider(_directory, OwnerOnlyDirectory);
    }

    private void TightenIfWider(string path, UnixFileMode ownerOnly)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & ~ownerOnly) != 0)
        {
            File.SetUnixFileMode(path, mode & ownerOnly);
            Log.TightenedPermissions(_logger, path);
        }
    }

    private void RefuseSymbolicLink()
    {
        if (new FileInfo(Path).LinkTarget is not null)
        {
            throw StoreError($"The token file {Path} is a symbolic link; refusing to write through it.");
        }
    }

    private static FileStream CreateOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return CreateOwnerOnlyWindows(path);
        }

        return new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = OwnerOnlyFile,
        });
    }

    [SupportedOSPlatform("windows")]
    private static FileStream CreateOwnerOnlyWindows(string path)
    {
        // Owner-only from the first byte: no inherited entries, full control for the current user alone.
        var security = new FileSecurity();
        security.SetAccessRuleProtection(isProtected: true, preserveInheritance: false);
        var user = WindowsIdentity.GetCurrent().User ?? throw new UnauthorizedAccessException("The current Windows user has no security identifier.");
        security.AddAccessRule(new FileSystemAccessRule(user, FileSystemRights.FullControl, AccessControlType.Allow));
        return new FileInfo(path).Create(FileMode.CreateNew, FileSystemRights.Write | FileSystemRights.Read, FileShare.None, 4096, FileOptions.None, security);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The temporary file is only a leftover; the token file itself is intact.
        }
    }

    private static AnysolaAuthException StoreError(string message, Exception? inner = null) =>
        new(AnysolaAuthErrors.TokenStoreError, null, null, message, inner);

    private sealed class FileLock(FileStream stream) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => stream.DisposeAsync();
    }
}
