// Flag parsing for converge-active-users: every value is checked, nothing is guessed.
// SPDX-License-Identifier: MIT
#include "options.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace active_users {

const char* const usage =
    "usage: converge-active-users --id N [options]\n"
    "  --id N                 this replica's id (1..4294967295), unique in the cluster\n"
    "  --http HOST:PORT       HTTP and WebSocket address (default 127.0.0.1:8080)\n"
    "  --listen HOST:PORT     replication address (default 127.0.0.1:9080)\n"
    "  --peer ID@HOST:PORT    a peer's id and replication address; repeat for each peer\n"
    "  --nats URL[,URL...]    replicate through these NATS servers instead of --listen/--peer\n"
    "  --nats-token-file FILE NATS login token\n"
    "  --nats-creds FILE      NATS user credentials (JWT and seed), checked readable at start\n"
    "  --nats-subject-prefix P  first tokens of every replication subject (default converge)\n"
    "  --nats-shards K        presence shards, each on its own subjects (1..65536, default 1024)\n"
    "  --nats-follow WHAT     interest: hold the shards of pages in use here (default); all: every shard\n"
    "  --interest-lapse SECONDS  drop a shard with no local viewer this long after its last read (default 60)\n"
    "  --secret-file FILE     shared replication secret (else env CONVERGE_SECRET); required\n"
    "  --api-token-file FILE  writes (PUT, POST, DELETE) need 'Authorization: Bearer <token>'\n"
    "  --expiry SECONDS       session expiry without heartbeat (default 30)\n"
    "  --retire-after SECONDS retire a replica not heard from this long (default 10)\n"
    "  --interval MS          replication push interval (default 100)\n"
    "  --data-dir DIR         keep a snapshot of adjustments here (fsync + rename)\n"
    "  --threads N            I/O threads (default: one per core)\n";

namespace {

template <class T>
std::optional<T> parse_number(const std::string& s, T lo, T hi) {
    T v{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
    return v;
}

std::optional<std::chrono::milliseconds> parse_seconds(const std::string& s) {
    const auto v = parse_number<double>(s, 0.05, 86'400.0);
    if (!v) return std::nullopt;
    return std::chrono::milliseconds(static_cast<long long>(*v * 1000));
}

/// Sets `into` from `parsed`; false when there is nothing to set.
template <class T, class Into>
bool store(const std::optional<T>& parsed, Into& into) {
    if (!parsed) return false;
    into = Into(*parsed);
    return true;
}

/// "nats://a:4222,nats://b:4222": each URL non-empty and without blanks.
std::optional<std::vector<std::string>> parse_servers(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = s.find(',', start);
        std::string url = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (url.empty() || url.find_first_of(" \t\r\n") != std::string::npos) return std::nullopt;
        out.push_back(std::move(url));
        if (comma == std::string::npos) return out;
        start = comma + 1;
    }
}

}  // namespace

bool valid_subject_prefix(const std::string& s) {
    if (s.empty() || s.size() > 64 || s.front() == '.' || s.back() == '.' || s.find("..") != std::string::npos)
        return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    });
}

std::optional<endpoint> parse_endpoint(const std::string& s) {
    const auto colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0) return std::nullopt;
    const auto port = parse_number<unsigned>(s.substr(colon + 1), 1, 65535);
    if (!port) return std::nullopt;
    return endpoint{s.substr(0, colon), static_cast<std::uint16_t>(*port)};
}

namespace {

std::optional<peer_address> parse_peer(const std::string& s) {
    const auto at = s.find('@');
    if (at == std::string::npos) return std::nullopt;
    const auto id = parse_number<std::uint32_t>(s.substr(0, at), 1, 0xFFFFFFFF);
    const auto address = parse_endpoint(s.substr(at + 1));
    if (!id || !address) return std::nullopt;
    return peer_address{*id, *address};
}

/// A file's contents without its trailing newlines: a secret or a token.
result<std::string> read_secret(const std::string& flag, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(status::bad_request, flag + " " + path + ": cannot read");
    std::ostringstream s;
    s << in.rdbuf();
    std::string text = s.str();
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
}

}  // namespace

result<options> parse_options(const std::vector<std::string>& args, const char* env_secret) {
    options o;
    bool have_id = false;
    std::string secret_file;
    std::string token_file;
    std::string nats_token_file;
    std::string nats_only;  ///< the last flag given that means something only with --nats
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& flag = args[i];
        if (flag == "--help" || flag == "-h") {
            options help;
            help.help = true;
            return help;
        }
        if (i + 1 >= args.size()) return fail(status::bad_request, flag + ": missing value (or unknown flag)");
        const std::string& v = args[++i];
        // Each value flag stores its parsed value, or says what it expected.
        bool stored = true;
        const char* expected = "";
        if (flag == "--id") {
            expected = "an integer in 1..4294967295";
            stored = have_id = store(parse_number<std::uint32_t>(v, 1, 0xFFFFFFFF), o.id);
        } else if (flag == "--http" || flag == "--listen") {
            expected = "HOST:PORT";
            stored = store(parse_endpoint(v), flag == "--http" ? o.http : o.listen);
        } else if (flag == "--peer") {
            expected = "ID@HOST:PORT";
            stored = store(parse_peer(v), o.peers.emplace_back());
            if (!stored) o.peers.pop_back();
        } else if (flag == "--nats") {
            expected = "nats://HOST:PORT[,nats://HOST:PORT...]";
            stored = store(parse_servers(v), o.nats.servers);
        } else if (flag == "--nats-token-file") {
            nats_token_file = v;
        } else if (flag == "--nats-creds") {
            o.nats.creds_file = v;
        } else if (flag == "--nats-subject-prefix") {
            expected = "dot-separated tokens of letters, digits, '-' and '_'";
            stored = valid_subject_prefix(v);
            if (stored) o.nats.subject_prefix = v;
        } else if (flag == "--nats-shards") {
            expected = "1..65536";
            stored = store(parse_number<std::uint32_t>(v, 1, 65'536), o.nats.shards);
            nats_only = flag;
        } else if (flag == "--nats-follow") {
            expected = "interest or all";
            stored = v == "interest" || v == "all";
            o.nats.follow_all = v == "all";
            nats_only = flag;
        } else if (flag == "--interest-lapse") {
            expected = "seconds between 0.05 and 86400";
            stored = store(parse_seconds(v), o.nats.interest_lapse);
            nats_only = flag;
        } else if (flag == "--secret-file") {
            secret_file = v;
        } else if (flag == "--api-token-file") {
            token_file = v;
        } else if (flag == "--expiry" || flag == "--retire-after") {
            expected = "seconds between 0.05 and 86400";
            stored = store(parse_seconds(v), flag == "--expiry" ? o.expiry : o.retire_after);
        } else if (flag == "--interval") {
            expected = "milliseconds in 1..60000";
            stored = store(parse_number<unsigned>(v, 1, 60'000), o.interval);
        } else if (flag == "--data-dir") {
            o.data_dir = v;
        } else if (flag == "--threads") {
            expected = "1..256";
            stored = store(parse_number<unsigned>(v, 1, 256), o.threads);
        } else {
            return fail(status::bad_request, flag + ": unknown flag");
        }
        if (!stored) return fail(status::bad_request, flag + " " + v + ": expected " + expected);
    }
    if (!have_id) return fail(status::bad_request, "--id is required");
    for (const auto& p : o.peers)
        if (p.id == o.id) return fail(status::bad_request, "--peer " + std::to_string(p.id) + ": that is this replica's own id");
    if (!o.nats.servers.empty() && !o.peers.empty())
        return fail(status::bad_request, "--nats and --peer: replicas meet through NATS or through the mesh, not both");
    if (o.nats.servers.empty() && !nats_only.empty()) return fail(status::bad_request, nats_only + " needs --nats");
    if (o.nats.servers.empty() && (!nats_token_file.empty() || !o.nats.creds_file.empty()))
        return fail(status::bad_request, "--nats-token-file and --nats-creds need --nats");
    if (!nats_token_file.empty() && !o.nats.creds_file.empty())
        return fail(status::bad_request, "--nats-token-file and --nats-creds: one way to log in, not both");
    if (!nats_token_file.empty()) {
        auto token = read_secret("--nats-token-file", nats_token_file);
        if (!token) return token.error();
        if (token->empty()) return fail(status::bad_request, "--nats-token-file " + nats_token_file + ": empty");
        o.nats.token = std::move(*token);
    }
    // libnats reads the credentials when it connects; an unreadable file is named now, not then.
    if (!o.nats.creds_file.empty() && !std::ifstream(o.nats.creds_file))
        return fail(status::bad_request, "--nats-creds " + o.nats.creds_file + ": cannot read");
    if (!secret_file.empty()) {
        auto secret = read_secret("--secret-file", secret_file);
        if (!secret) return secret.error();
        o.secret = std::move(*secret);
    } else if (env_secret != nullptr) {
        o.secret = env_secret;
    }
    if (!token_file.empty()) {
        auto token = read_secret("--api-token-file", token_file);
        if (!token) return token.error();
        if (token->size() < 16) return fail(status::bad_request, "--api-token-file " + token_file + ": shorter than 16 bytes");
        o.api_token = std::move(*token);
    }
    if (o.secret.size() < 16) return fail(status::bad_request, "replication secret missing or shorter than 16 bytes (--secret-file or CONVERGE_SECRET)");
    return o;
}

}  // namespace active_users
