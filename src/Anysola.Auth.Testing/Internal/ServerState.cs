namespace Anysola.Auth.Testing.Internal;

/// <summary>
/// Everything the server knows: device authorizations, sessions, tokens and workspace data. One lock guards all of
/// it, so concurrent refreshes of the same token are serialized and rotation is atomic: exactly one of them wins.
/// </summary>
internal sealed class ServerState
{
    private readonly object _gate = new();
    private readonly AnysolaTestServerOptions _options;
    private readonly Dictionary<string, DeviceAuthorization> _devicesByCode = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DeviceAuthorization> _devicesByUserCode = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RefreshTokenRecord> _refreshTokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AccessTokenRecord> _accessTokens = new(StringComparer.Ordinal);
    private readonly List<Session> _sessions = [];
    private readonly List<TaskCompletionSource<string>> _userCodeWaiters = [];
    private readonly Dictionary<string, UserAccount> _users = SeedData.Users();
    private readonly Dictionary<string, WorkspaceData> _workspaces = SeedData.Workspaces();

    public ServerState(AnysolaTestServerOptions options) => _options = options;

    public Uri BaseAddress { get; set; } = new("http://127.0.0.1/");

    public DateTimeOffset Now => _options.TimeProvider.GetUtcNow();

    /// <summary>Runs <paramref name="action"/> under the state lock (for the API handlers' reads and writes).</summary>
    public T Locked<T>(Func<T> action)
    {
        lock (_gate)
        {
            return action();
        }
    }

    public UserAccount? FindUser(string login) => _users.GetValueOrDefault(login);

    public WorkspaceData? FindWorkspace(string slug) => _workspaces.GetValueOrDefault(slug);

    // ---- Device authorization ----

    public DeviceAuthorization StartDeviceAuthorization(string cliLabel, IReadOnlyList<string>? requestedScopes)
    {
        DeviceAuthorization device;
        TaskCompletionSource<string>[] waiters;
        lock (_gate)
        {
            var now = Now;
            string userCode;
            do
            {
                userCode = Secrets.UserCode();
            }
            while (_devicesByUserCode.TryGetValue(userCode, out var existing) && existing.ExpiresAt > now);

            device = new DeviceAuthorization
            {
                DeviceCode = Secrets.DeviceCode(),
                UserCode = userCode,
                CliLabel = cliLabel,
                RequestedScopes = requestedScopes,
                CreatedAt = now,
                ExpiresAt = now + _options.DeviceCodeLifetime,
                Interval = _options.PollingInterval,
            };
            if (_options.AutoApproveWorkspace is { } workspace)
            {
                // Before the code is stored, so a misconfigured auto-approval leaves no half-made authorization.
                ApproveLocked(device, workspace, _options.AutoApproveUser);
            }

            _devicesByCode[device.DeviceCode] = device;
            _devicesByUserCode[userCode] = device;

            waiters = [.. _userCodeWaiters];
            _userCodeWaiters.Clear();
        }

        foreach (var waiter in waiters)
        {
            waiter.TrySetResult(device.UserCode);
        }

        return device;
    }

    public TokenResult PollDeviceCode(string deviceCode)
    {
        lock (_gate)
        {
            var now = Now;
            if (!_devicesByCode.TryGetValue(deviceCode, out var device))
            {
                return TokenResult.Fail("invalid_grant", "The device code is unknown.");
            }

            if (device.Status == DeviceStatus.Consumed)
            {
                return TokenResult.Fail("invalid_grant", "The device code was already exchanged for tokens.");
            }

            if (now >= device.ExpiresAt)
            {
                return TokenResult.Fail("expired_token", "The device code has expired; start a new login.");
            }

            var previousPoll = device.LastPollAt;
            device.LastPollAt = now;
            if (_options.EnforcePollingInterval && previousPoll is { } previous && now - previous < device.Interval)
            {
                device.Interval += TimeSpan.FromSeconds(5);
                return TokenResult.Fail("slow_down", "Polling too fast; wait 5 seconds longer between polls.");
            }

            switch (device.Status)
            {
                case DeviceStatus.Denied:
                    return TokenResult.Fail("access_denied", "The request was denied.");
                case DeviceStatus.Pending:
                    return TokenResult.Fail("authorization_pending", "The request has not been approved yet.");
            }

            device.Status = DeviceStatus.Consumed;
            var session = new Session
            {
                Id = Secrets.Id("ses_"),
                User = device.User!,
                Workspace = device.Workspace!,
                Role = device.Role!,
                Scopes = device.GrantedScopes,
                CliLabel = device.CliLabel,
            };
            _sessions.Add(session);
            return IssueLocked(session, now);
        }
    }

    public void Approve(string userCode, string workspace, string user)
    {
        lock (_gate)
        {
            ApproveLocked(FindDecidableLocked(userCode), workspace, user);
        }
    }

    public void Deny(string userCode)
    {
        lock (_gate)
        {
            FindDecidableLocked(userCode).Status = DeviceStatus.Denied;
        }
    }

    /// <summary>What the verification page shows for a code: the request, or why it cannot be decided.</summary>
    public (DeviceAuthorization? Device, string? Problem) DescribeForPage(string userCode)
    {
        lock (_gate)
        {
            var normalized = Secrets.NormalizeUserCode(userCode);
            if (normalized is null || !_devicesByUserCode.TryGetValue(normalized, out var device))
            {
                return (null, "That code is not valid. Check it and try again.");
            }

            if (Now >= device.ExpiresAt)
            {
                return (null, "That code has expired. Start a new login from your terminal.");
            }

            return device.Status == DeviceStatus.Pending
                ? (device, null)
                : (null, "That code was already used.");
        }
    }

    public async Task<string> WaitForUserCodeAsync(CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            var now = Now;
            var pending = _devicesByCode.Values
                .Where(d => d.Status == DeviceStatus.Pending && d.ExpiresAt > now)
                .OrderBy(d => d.CreatedAt)
                .FirstOrDefault();
            if (pending is not null)
            {
                return pending.UserCode;
            }

            _userCodeWaiters.Add(waiter);
        }

        using (cancellationToken.Register(() =>
        {
            lock (_gate)
            {
                _userCodeWaiters.Remove(waiter);
            }

            waiter.TrySetCanceled(cancellationToken);
        }))
        {
            return await waiter.Task.ConfigureAwait(false);
        }
    }

    public void CancelWaiters()
    {
        TaskCompletionSource<string>[] waiters;
        lock (_gate)
        {
            waiters = [.. _userCodeWaiters];
            _userCodeWaiters.Clear();
        }

        foreach (var waiter in waiters)
        {
            waiter.TrySetException(new ObjectDisposedException(nameof(AnysolaTestServer)));
        }
    }

    // ---- Tokens ----

    public TokenResult Refresh(string refreshToken)
    {
        lock (_gate)
        {
            var now = Now;
            if (!_refreshTokens.TryGetValue(refreshToken, out var record))
            {
                return TokenResult.Fail("invalid_grant", "The refresh token is unknown.");
            }

            var session = record.Session;
            if (session.Revoked || record.State == RefreshTokenState.Revoked)
            {
                return TokenResult.Fail("invalid_grant", "The refresh token was revoked.");
            }

            if (record.State == RefreshTokenState.Rotated)
            {
                if (InGraceLocked(record, now))
                {
                    // A client that lost the answer to its refresh may retry once; it gets a fresh pair and the
                    // pair the lost answer carried stays valid.
                    record.GraceUsed = true;
                    return IssueLocked(session, now);
                }

                RevokeSessionLocked(session);
                return TokenResult.Fail(
                    "invalid_grant",
                    "The refresh token was already used; the session is revoked.",
                    "reuse_detected");
            }

            record.State = RefreshTokenState.Rotated;
            record.RotatedAt = now;
            if (_options.RevokeAccessTokenOnRefresh)
            {
                foreach (var access in session.AccessTokens)
                {
                    access.Revoked = true;
                }
            }

            return IssueLocked(session, now);
        }
    }

    /// <summary>RFC 7009 revocation: a refresh token ends its session; an access token ends itself.</summary>
    public string Revoke(string token)
    {
        lock (_gate)
        {
            if (_refreshTokens.TryGetValue(token, out var refresh))
            {
                RevokeSessionLocked(refresh.Session);
                return "revoked";
            }

            if (_accessTokens.TryGetValue(token, out var access))
            {
                access.Revoked = true;
                return "revoked";
            }

            return "unknown_token";
        }
    }

    /// <summary>Checks a bearer token; returns its session, or why it is not accepted.</summary>
    public (Session? Session, string? Problem) Authenticate(string token)
    {
        lock (_gate)
        {
            if (!_accessTokens.TryGetValue(token, out var record))
            {
                return (null, "The access token is not valid.");
            }

            if (record.Revoked || record.Session.Revoked)
            {
                return (null, "The access token was revoked.");
            }

            return Now >= record.ExpiresAt
                ? (null, "The access token expired.")
                : (record.Session, null);
        }
    }

    public int RevokeAllSessions()
    {
        lock (_gate)
        {
            var count = 0;
            foreach (var session in _sessions.Where(s => !s.Revoked))
            {
                RevokeSessionLocked(session);
                count++;
            }

            return count;
        }
    }

    public bool IsRefreshTokenActive(string refreshToken)
    {
        lock (_gate)
        {
            if (!_refreshTokens.TryGetValue(refreshToken, out var record) || record.Session.Revoked)
            {
                return false;
            }

            return record.State == RefreshTokenState.Active
                || (record.State == RefreshTokenState.Rotated && InGraceLocked(record, Now));
        }
    }

    /// <summary>Counts an agent run against the session's per-minute limit; returns the wait when over it.</summary>
    public TimeSpan? TryCountRun(Session session)
    {
        lock (_gate)
        {
            var now = Now;
            var window = TimeSpan.FromMinutes(1);
            while (session.RecentRuns.Count > 0 && now - session.RecentRuns.Peek() >= window)
            {
                session.RecentRuns.Dequeue();
            }

            if (session.RecentRuns.Count >= Math.Max(0, _options.AgentRunsPerMinute))
            {
                var wait = session.RecentRuns.Count > 0 ? session.RecentRuns.Peek() + window - now : window;
                return wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1);
            }

            session.RecentRuns.Enqueue(now);
            return null;
        }
    }

    public void AddAuditLocked(WorkspaceData workspace, string actor, string action, string target) =>
        workspace.Audit.Add(new AuditEvent(Secrets.Id("evt_"), Now, actor, action, target));

    private bool InGraceLocked(RefreshTokenRecord record, DateTimeOffset now) =>
        !record.GraceUsed
        && record.RotatedAt is { } rotatedAt
        && _options.RefreshTokenReuseGrace > TimeSpan.Zero
        && now - rotatedAt < _options.RefreshTokenReuseGrace;

    private TokenResult IssueLocked(Session session, DateTimeOffset now)
    {
        var lifetime = _options.AccessTokenLifetime;
        var access = new AccessTokenRecord { Token = Secrets.AccessToken(), Session = session, ExpiresAt = now + lifetime };
        var refresh = new RefreshTokenRecord { Token = Secrets.RefreshToken(), Session = session };
        _accessTokens[access.Token] = access;
        _refreshTokens[refresh.Token] = refresh;
        session.AccessTokens.Add(access);
        session.RefreshTokens.Add(refresh);
        return new TokenResult("issued", AccessToken: access.Token, RefreshToken: refresh.Token, ExpiresIn: lifetime, Scope: session.ScopeString);
    }

    private void RevokeSessionLocked(Session session)
    {
        if (session.Revoked)
        {
            return;
        }

        session.Revoked = true;
        foreach (var refresh in session.RefreshTokens)
        {
            refresh.State = RefreshTokenState.Revoked;
        }

        foreach (var access in session.AccessTokens)
        {
            access.Revoked = true;
        }

        AddAuditLocked(session.Workspace, session.User.Name, "cli_session.revoked", session.CliLabel);
    }

    private DeviceAuthorization FindDecidableLocked(string userCode)
    {
        var normalized = Secrets.NormalizeUserCode(userCode);
        if (normalized is null || !_devicesByUserCode.TryGetValue(normalized, out var device))
        {
            throw new InvalidOperationException($"No device authorization has the user code '{userCode}'.");
        }

        if (Now >= device.ExpiresAt)
        {
            throw new InvalidOperationException($"The device authorization '{normalized}' has expired.");
        }

        if (device.Status != DeviceStatus.Pending)
        {
            throw new InvalidOperationException($"The device authorization '{normalized}' was already approved or denied.");
        }

        return device;
    }

    private void ApproveLocked(DeviceAuthorization device, string workspaceSlug, string login)
    {
        var user = _users.GetValueOrDefault(login)
            ?? throw new InvalidOperationException($"Unknown user '{login}'; the server knows ada, max and val.");
        var workspace = _workspaces.GetValueOrDefault(workspaceSlug)
            ?? throw new InvalidOperationException($"Unknown workspace '{workspaceSlug}'; the server knows acme and globex.");
        if (!user.Roles.TryGetValue(workspaceSlug, out var role))
        {
            throw new InvalidOperationException($"User '{login}' is not a member of workspace '{workspaceSlug}'.");
        }

        device.Status = DeviceStatus.Approved;
        device.User = user;
        device.Workspace = workspace;
        device.Role = role;
        device.GrantedScopes = ScopeCatalog.Grant(role, device.RequestedScopes);
        AddAuditLocked(workspace, user.Name, "cli.authorized", device.CliLabel);
    }
}
