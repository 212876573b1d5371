#pragma once
// The resolved client options: what ~/.ssh/config, /etc/ssh/ssh_config and the command line say for
// one destination, with ssh's defaults applied and ~ / %-tokens expanded (ssh_config(5)).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gateway/config/forward_spec.hpp"
#include "tun/cidr.hpp"

namespace gateway::config {

enum class StrictHostKeyChecking { yes, no, ask, accept_new };
enum class AddressFamily { any, inet, inet6 };
enum class AddKeysToAgent { no, yes, ask, confirm };
enum class LogLevel { quiet, fatal, error, info, verbose, debug1, debug2, debug3 };
// RequestTTY: automatic asks for a pty for an interactive login (no command) on a terminal.
enum class RequestTty { automatic, no, yes, force };
// SessionType (-N none, -s subsystem): what the session channel runs; none opens no session.
enum class SessionType { command, none, subsystem };
// Tunnel (-w): ssh's tun forwarding; yes means point-to-point.
enum class TunnelMode { no, point_to_point, ethernet };
// TunnelDevice's "any": let the kernel (locally) or the server pick the unit.
inline constexpr std::uint32_t kTunnelAny = 0x7fffffff;

struct Options {
  std::string host;      // the destination as given; Host patterns match this
  std::string hostname;  // HostName with %h expanded, else host
  std::uint16_t port = 22;
  std::string user;  // default: the local login name
  std::vector<std::string> identity_files;
  std::vector<std::string> identity_files_as_written;     // for -G, which shows them unexpanded as ssh
  std::vector<std::string> certificate_files_as_written;  // the same for CertificateFile
  bool identity_files_defaulted = false;       // ssh's default list: missing files are not an error
  std::vector<std::string> certificate_files;  // stored only: certificates are not supported yet
  bool identities_only = false;
  // AddKeysToAgent: keys loaded from files go to the agent (with a lifetime when not 0).
  AddKeysToAgent add_keys_to_agent = AddKeysToAgent::no;
  std::chrono::seconds add_keys_to_agent_lifetime{0};
  // "SSH_AUTH_SOCK" (use that environment variable), "none", "$VAR" or an expanded socket path.
  std::string identity_agent = "SSH_AUTH_SOCK";
  std::vector<ForwardSpec> local_forwards;
  std::vector<ForwardSpec> remote_forwards;
  std::vector<ForwardSpec> dynamic_forwards;
  // sshplex's own: SOCKS username/password credentials ("user:password" lines; empty: no
  // authentication), and the explicit opt-in for an unauthenticated SOCKS listener off loopback.
  std::string socks_credentials_file;
  bool socks_allow_open_proxy = false;
  // sshplex's own headless directives (see conf/ and README.md):
  std::uint32_t pool_size = 2;  // PoolSize: SSH connections kept to the destination
  // Growth under load (gateway/pool/upstream.hpp): PoolMaxSize connections at most, another one
  // once each carries 3/4 of ChannelsPerConnection (0: no limit), extra ones closed after
  // PoolIdleTimeout empty.
  std::uint32_t pool_max_size = 16;
  std::uint32_t channels_per_connection = 256;
  std::chrono::seconds pool_idle_timeout{30};
  bool reconnect = true;        // Reconnect: re-establish lost connections (no: exit 255 as ssh)
  std::chrono::seconds reconnect_max_delay{60};  // ReconnectMaxDelay: backoff ceiling
  // TransportWaitTimeout: how long a new client waits for a connection while none is up.
  std::chrono::seconds transport_wait_timeout{15};
  std::uint32_t max_clients = 16384;     // MaxClients: concurrent clients per listener
  std::uint32_t max_pending_opens = 256;  // MaxPendingOpens: channel opens in flight per listener
  std::chrono::seconds drain_timeout{10};  // DrainTimeout: SIGTERM/SIGINT grace for open channels
  // MetricsListen [address:]port: the Prometheus endpoint, off unless set; a bare port is loopback.
  struct MetricsListen {
    std::string address = "127.0.0.1";  // numeric IPv4 or IPv6 (without brackets)
    std::uint16_t port = 0;
    bool operator==(const MetricsListen&) const = default;
  };
  std::optional<MetricsListen> metrics_listen;
  // sshplex's own: the tun VPN (README "The VPN"). Vpn / --vpn turns it on.
  bool vpn = false;
  std::vector<tun::Cidr> vpn_routes;    // VpnRoute (every line adds): empty routes everything
  std::vector<tun::Cidr> vpn_excludes;  // VpnExclude (every line adds): stays outside the tun
  // VpnDns: "server" (the server's own resolvers), "none" (the host's DNS is left alone), or a
  // resolver as seen from the server: address or address:port ([IPv6]:port).
  std::string vpn_dns = "server";
  std::string vpn_device = "sshplex%d";  // VpnDevice: the tun's name (a %d template or a name)
  std::uint32_t vpn_mtu = 9000;          // VpnMtu: the tun's MTU (traffic never leaves the host)
  // VpnAddress: the tun's own networks; hosts 1, 2 and 3 are its address, the NAT's spare address and
  // the DNS address.
  tun::Cidr vpn_network4 = *tun::Cidr::parse("198.18.0.0/29");
  tun::Cidr vpn_network6 = *tun::Cidr::parse("fd73:7368:706c::/64");
  bool vpn_ipv6 = true;           // VpnIPv6: carry IPv6 (no: IPv6 to routed networks is unreachable)
  bool vpn_kill_switch = false;   // VpnKillSwitch: nothing but the tun, loopback and the pool leaves
  std::uint32_t vpn_table = 29544;  // VpnTable: the routing table and the pool sockets' mark
  enum class LogTarget { standard_error, syslog, file, journal };
  LogTarget log_target = LogTarget::standard_error;  // LogTarget stderr|syslog|journal, -y, -E file
  std::string log_file;                              // for LogTarget::file (-E)
  std::string syslog_facility = "USER";              // SyslogFacility
  // Dead-peer detection is on by default, unlike ssh (ServerAliveInterval 0 turns it off).
  std::chrono::seconds server_alive_interval{15};
  std::uint32_t server_alive_count_max = 3;
  StrictHostKeyChecking strict_host_key_checking = StrictHostKeyChecking::ask;
  std::vector<std::string> user_known_hosts_files;
  std::vector<std::string> global_known_hosts_files;
  bool hash_known_hosts = false;
  std::string host_key_alias;                         // HostKeyAlias
  bool visual_host_key = false;                       // VisualHostKey
  bool check_host_ip = false;                         // CheckHostIP (ssh's default since 8.5)
  std::string version_addendum;                       // VersionAddendum: appended to our version string
  bool no_host_authentication_for_localhost = false;  // NoHostAuthenticationForLocalhost
  std::string known_hosts_command;                    // KnownHostsCommand, raw: its tokens are filled in per key
  std::vector<std::string> revoked_host_keys;         // RevokedHostKeys, expanded
  // Raw list specs ("+aes128-ctr", "-*cbc", "^ssh-ed25519"); empty keeps the default list. Applied with
  // ssh::transport::apply_algorithm_list by the caller.
  std::string ciphers;
  std::string kex_algorithms;
  std::string host_key_algorithms;
  std::string macs;
  std::string pubkey_accepted_algorithms;  // signature algorithms for user keys (same list syntax)
  std::optional<std::chrono::seconds> connect_timeout;  // nullopt: none (the system's TCP timeout)
  bool exit_on_forward_failure = false;
  bool batch_mode = false;
  bool password_authentication = true;
  bool kbd_interactive_authentication = true;
  bool pubkey_authentication = true;
  std::vector<std::string> preferred_authentications;  // empty: our default order
  std::uint32_t number_of_password_prompts = 3;
  std::uint64_t rekey_limit_bytes = 0;       // 0: the cipher's default (RFC 4344 §3.2)
  std::chrono::seconds rekey_limit_time{0};  // 0: no time-based rekeying
  LogLevel log_level = LogLevel::info;
  std::string proxy_jump;  // empty: direct connection ("none" is stored as empty)
  // ProxyCommand with %h %n %p %r expanded (run with $SHELL -c; its stdin/stdout are the
  // connection); empty: none. ProxyUseFdpass: the command passes back a connected socket instead.
  std::string proxy_command;
  std::string proxy_command_as_written;  // for -G, which shows it before expansion as ssh does
  bool proxy_use_fdpass = false;
  // The -F file these options came from (nullopt: the default files); ProxyJump hops are
  // resolved from the same files.
  std::optional<std::string> config_file;
  bool compression = false;
  bool gateway_ports = false;
  // PermitRemoteOpen: where reverse SOCKS (-R port without a target) may connect: "host:port"
  // entries ("*" for any host or port), "none"; empty: anywhere.
  std::vector<std::string> permit_remote_open;
  std::uint32_t stream_local_bind_mask = 0177;  // StreamLocalBindMask (unix socket listeners)
  bool stream_local_bind_unlink = false;        // StreamLocalBindUnlink
  AddressFamily address_family = AddressFamily::any;
  std::string bind_address;
  std::string bind_interface;  // BindInterface, -B
  // IPQoS: TOS byte / traffic class for terminal sessions and for everything else; -1: leave it.
  // Defaults as Debian 12's ssh: lowdelay and throughput.
  int ip_qos_interactive = 0x10;
  int ip_qos_bulk = 0x08;
  std::uint32_t connection_attempts = 1;
  std::string control_master = "no";  // ControlMaster, -M: yes, no, ask, auto, autoask
  std::string control_path;           // ControlPath, -S: tokens expanded; empty: none
  std::string control_persist = "no";  // ControlPersist: no, yes, or a time
  std::vector<std::string> set_env;   // NAME=VALUE
  std::vector<std::string> send_env;  // name patterns
  bool tcp_keep_alive = true;

  // ---- the session (ssh(1): a remote command or login shell on the server)
  RequestTty request_tty = RequestTty::automatic;  // RequestTTY, -t/-tt/-T
  SessionType session_type = SessionType::command;  // SessionType, -N, -s
  std::string remote_command;                       // RemoteCommand, tokens expanded
  bool stdin_null = false;                          // StdinNull, -n (and -f)
  bool fork_after_authentication = false;           // ForkAfterAuthentication, -f
  TunnelMode tunnel = TunnelMode::no;               // Tunnel, -w
  std::uint32_t tunnel_local = kTunnelAny;          // TunnelDevice local[:remote], -w
  std::uint32_t tunnel_remote = kTunnelAny;
  int escape_char = '~';                            // EscapeChar; -1: none
  bool enable_escape_commandline = false;           // EnableEscapeCommandline (~C)
  // ForwardAgent, -A/-a: empty when off; "SSH_AUTH_SOCK" for the agent of $SSH_AUTH_SOCK; else an
  // agent socket path (expanded) or "$VAR".
  std::string forward_agent;
  bool forward_x11 = false;                       // ForwardX11, -X/-Y/-x
  bool forward_x11_trusted = false;               // ForwardX11Trusted, -Y
  std::chrono::seconds forward_x11_timeout{1200};  // ForwardX11Timeout (untrusted cookies); 0: none
  std::string xauth_location = "/usr/bin/xauth";  // XAuthLocation
  bool clear_all_forwardings = false;             // ClearAllForwardings (default for -W)
  // LocalCommand (tokens expanded), run once connected when PermitLocalCommand is yes.
  std::string local_command;
  std::string local_command_as_written;  // for -G
  bool permit_local_command = false;

  // The keywords given a value by the command line or a configuration file (the rest have their
  // defaults), for defaults that depend on the mode, as -W's.
  std::set<std::string> set_keywords;
  // Keywords accepted without an effect in sshplex (keyword_support.hpp), lower case, with the
  // first value obtained, so -G can show them as ssh would.
  std::map<std::string, std::vector<std::string>> accepted_values;
};

// One command-line setting, applied before any configuration file (first value wins, so these
// take precedence). `origin` names it in messages: "-o", "-p", "-L" ...
struct Override {
  std::string keyword;
  std::vector<std::string> args;
  std::string origin;
  std::string rest{};  // the value as written (ConfigLine::rest), for -o with a command
};

struct ConfigError {
  std::string file;      // "command line" for overrides
  std::size_t line = 0;  // 0 when not from a file
  std::string message;
  std::string to_string() const;
};

// Facts about the local user that defaults and expansions need; tests inject their own.
struct Environment {
  std::string home;
  std::string local_user;
  std::string local_hostname = "localhost";  // %l (gethostname), %L up to the first dot
  std::string uid = "0";                     // %i
};
Environment current_environment();

// How files are read, so tests and fuzzers feed text instead of touching the disk.
struct FileSystem {
  // nullopt when the file does not exist or cannot be read.
  std::function<std::optional<std::string>(const std::string& path)> read_file;
  // Paths matching a glob(3) pattern, sorted; empty when nothing matches.
  std::function<std::vector<std::string>(const std::string& pattern)> glob;
};
FileSystem real_file_system();

}  // namespace gateway::config
