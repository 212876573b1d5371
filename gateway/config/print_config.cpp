#include "gateway/config/print_config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "gateway/config/values.hpp"

namespace gateway::config {
namespace {

class Printer {
 public:
  void line(std::string_view keyword, const std::string& value) {
    out_ += keyword;
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  void flag(std::string_view keyword, bool value) { line(keyword, value ? "yes" : "no"); }
  // ssh's multi-state options print their first name for a value: "true" / "false".
  void truth(std::string_view keyword, bool value) { line(keyword, value ? "true" : "false"); }
  void number(std::string_view keyword, long long value) { line(keyword, std::to_string(value)); }
  void joined(std::string_view keyword, const std::vector<std::string>& values, char separator) {
    std::string v;
    for (const auto& s : values) {
      if (!v.empty()) v += separator;
      v += s;
    }
    line(keyword, v.empty() ? "none" : v);
  }
  // A keyword sshplex only accepts: the value it was given, else what ssh shows by default. ssh
  // prints its multi-state options (default "true"/"false") by their first name: true, false.
  void accepted(const Options& o, std::string_view keyword, const std::string& fallback) {
    const auto it = o.accepted_values.find(std::string(keyword));
    if (it == o.accepted_values.end()) {
      if (!fallback.empty()) line(keyword, fallback);
      return;
    }
    std::string v;
    for (const auto& s : it->second) v += (v.empty() ? "" : " ") + s;
    std::string lower = v;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (fallback == "true" || fallback == "false") {
      if (lower == "yes") v = "true";
      if (lower == "no") v = "false";
    }
    if (keyword == "fingerprinthash") {
      for (char& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    line(keyword, v);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string endpoint(const ForwardEndpoint& e, bool listening) {
  if (e.is_socket()) return e.socket_path;
  if (listening && e.host.empty()) return std::to_string(e.port);
  return "[" + e.host + "]:" + std::to_string(e.port);
}

void forwards(Printer& p, std::string_view keyword, const std::vector<ForwardSpec>& specs) {
  for (const auto& s : specs) {
    std::string v = endpoint(s.listen, true);
    if (s.target) v += " " + endpoint(*s.target, false);
    p.line(keyword, v);
  }
}

std::string level_name(LogLevel l) {
  switch (l) {
    case LogLevel::quiet:
      return "QUIET";
    case LogLevel::fatal:
      return "FATAL";
    case LogLevel::error:
      return "ERROR";
    case LogLevel::info:
      return "INFO";
    case LogLevel::verbose:
      return "VERBOSE";
    case LogLevel::debug1:
      return "DEBUG1";
    case LogLevel::debug2:
      return "DEBUG2";
    case LogLevel::debug3:
      return "DEBUG3";
  }
  return "INFO";
}

std::string ipqos_name(int v) {
  static const std::pair<int, const char*> kNames[] = {
      {0x28, "af11"}, {0x30, "af12"}, {0x38, "af13"},     {0x48, "af21"},       {0x50, "af22"},
      {0x58, "af23"}, {0x68, "af31"}, {0x70, "af32"},     {0x78, "af33"},       {0x88, "af41"},
      {0x90, "af42"}, {0x98, "af43"}, {0x00, "cs0"},      {0x20, "cs1"},        {0x40, "cs2"},
      {0x60, "cs3"},  {0x80, "cs4"},  {0xa0, "cs5"},      {0xc0, "cs6"},        {0xe0, "cs7"},
      {0xb8, "ef"},   {0xb0, "va"},   {0x10, "lowdelay"}, {0x08, "throughput"}, {0x04, "reliability"},
  };
  if (v < 0) return "none";
  for (const auto& [value, name] : kNames) {
    if (value == v) return name;
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned>(v) & 0xffu);
  return buf;
}

std::string seconds(std::chrono::seconds s) {
  return std::to_string(s.count());
}

}  // namespace

std::string print_config(const Options& o, const PrintDefaults& d) {
  Printer p;
  p.line("host", o.host);
  p.line("user", o.user);
  p.line("hostname", o.hostname);
  p.number("port", o.port);
  p.line("addressfamily", o.address_family == AddressFamily::inet    ? "inet"
                          : o.address_family == AddressFamily::inet6 ? "inet6"
                                                                     : "any");
  p.flag("batchmode", o.batch_mode);
  p.accepted(o, "canonicalizefallbacklocal", "yes");
  p.accepted(o, "canonicalizehostname", "false");
  p.flag("checkhostip", o.check_host_ip);
  p.flag("compression", o.compression);
  const std::string& cm = o.control_master;
  p.line("controlmaster", cm == "yes" ? "true" : cm == "no" ? "false" : cm);
  p.accepted(o, "enablesshkeysign", "no");
  p.flag("clearallforwardings", o.clear_all_forwardings);
  p.flag("exitonforwardfailure", o.exit_on_forward_failure);
  p.accepted(o, "fingerprinthash", "SHA256");
  p.flag("forwardx11", o.forward_x11);
  p.flag("forwardx11trusted", o.forward_x11_trusted);
  p.flag("gatewayports", o.gateway_ports);
  p.accepted(o, "gssapiauthentication", "no");
  p.accepted(o, "gssapidelegatecredentials", "no");
  p.flag("hashknownhosts", o.hash_known_hosts);
  p.accepted(o, "hostbasedauthentication", "no");
  p.flag("identitiesonly", o.identities_only);
  p.flag("kbdinteractiveauthentication", o.kbd_interactive_authentication);
  p.flag("nohostauthenticationforlocalhost", o.no_host_authentication_for_localhost);
  p.flag("passwordauthentication", o.password_authentication);
  p.flag("permitlocalcommand", o.permit_local_command);
  p.flag("proxyusefdpass", o.proxy_use_fdpass);
  p.truth("pubkeyauthentication", o.pubkey_authentication);
  static const char* const kTty[] = {"auto", "no", "yes", "force"};
  p.line("requesttty", kTty[static_cast<int>(o.request_tty)]);
  static const char* const kSession[] = {"default", "none", "subsystem"};
  p.line("sessiontype", kSession[static_cast<int>(o.session_type)]);
  p.flag("stdinnull", o.stdin_null);
  p.flag("forkafterauthentication", o.fork_after_authentication);
  p.flag("streamlocalbindunlink", o.stream_local_bind_unlink);
  static const char* const kStrict[] = {"true", "false", "ask", "accept-new"};
  p.line("stricthostkeychecking", kStrict[static_cast<int>(o.strict_host_key_checking)]);
  p.flag("tcpkeepalive", o.tcp_keep_alive);
  static const char* const kTunnel[] = {"false", "point-to-point", "ethernet"};
  p.line("tunnel", kTunnel[static_cast<int>(o.tunnel)]);
  const auto unit = [](std::uint32_t u) { return u == kTunnelAny ? std::string("any") : std::to_string(u); };
  p.line("tunneldevice", unit(o.tunnel_local) + ":" + unit(o.tunnel_remote));
  p.accepted(o, "verifyhostkeydns", "false");
  p.flag("visualhostkey", o.visual_host_key);
  p.flag("enableescapecommandline", o.enable_escape_commandline);
  p.number("connectionattempts", o.connection_attempts);
  p.number("forwardx11timeout", o.forward_x11_timeout.count());
  p.number("numberofpasswordprompts", o.number_of_password_prompts);
  p.number("serveralivecountmax", o.server_alive_count_max);
  p.number("serveraliveinterval", o.server_alive_interval.count());
  if (!o.bind_address.empty()) p.line("bindaddress", o.bind_address);
  if (!o.bind_interface.empty()) p.line("bindinterface", o.bind_interface);
  p.joined("ciphers", d.ciphers, ',');
  if (!o.control_path.empty()) p.line("controlpath", o.control_path);
  p.joined("hostkeyalgorithms", d.host_key_algorithms, ',');
  if (!o.host_key_alias.empty()) p.line("hostkeyalias", o.host_key_alias);
  if (o.identity_agent != "SSH_AUTH_SOCK") p.line("identityagent", o.identity_agent);
  p.joined("kexalgorithms", d.kex_algorithms, ',');
  p.line("loglevel", level_name(o.log_level));
  p.joined("macs", d.macs, ',');
  p.joined("preferredauthentications", o.preferred_authentications, ',');
  if (!o.pubkey_accepted_algorithms.empty()) p.line("pubkeyacceptedalgorithms", o.pubkey_accepted_algorithms);
  if (!o.local_command.empty()) p.line("localcommand", o.local_command_as_written);
  if (!o.remote_command.empty()) p.line("remotecommand", o.remote_command);
  p.line("xauthlocation", o.xauth_location);
  if (!o.known_hosts_command.empty()) p.line("knownhostscommand", o.known_hosts_command);
  for (const auto& f : o.revoked_host_keys) p.line("revokedhostkeys", f);
  forwards(p, "dynamicforward", o.dynamic_forwards);
  forwards(p, "localforward", o.local_forwards);
  forwards(p, "remoteforward", o.remote_forwards);
  for (const auto& f : o.identity_files_as_written) p.line("identityfile", f);
  for (const auto& f : o.certificate_files_as_written) p.line("certificatefile", f);
  p.joined("globalknownhostsfile", o.global_known_hosts_files, ' ');
  p.joined("userknownhostsfile", o.user_known_hosts_files, ' ');
  for (const auto& e : o.send_env) p.line("sendenv", e);
  for (const auto& e : o.set_env) p.line("setenv", e);
  {
    // As ssh -G: the mode by its multi-state name, or the lifetime in seconds (after "confirm").
    static const char* const kModes[] = {"false", "true", "ask", "confirm"};
    const auto mode = static_cast<int>(o.add_keys_to_agent);
    const auto life = o.add_keys_to_agent_lifetime.count();
    if (life == 0) {
      p.line("addkeystoagent", kModes[mode]);
    } else {
      p.line("addkeystoagent",
             (o.add_keys_to_agent == AddKeysToAgent::confirm ? "confirm " : "") + std::to_string(life));
    }
  }
  p.joined("permitremoteopen", o.permit_remote_open.empty() ? std::vector<std::string>{"any"} : o.permit_remote_open,
           ' ');
  p.line("forwardagent", o.forward_agent.empty() ? "no" : o.forward_agent == "SSH_AUTH_SOCK" ? "yes" : o.forward_agent);
  if (o.connect_timeout) p.number("connecttimeout", o.connect_timeout->count());
  // ssh shows a ControlPersist time in seconds.
  const auto persist = parse_time(o.control_persist);
  p.line("controlpersist", persist ? std::to_string(persist->count()) : o.control_persist);
  p.line("escapechar", o.escape_char < 0 ? "none" : std::string(1, static_cast<char>(o.escape_char)));
  p.line("ipqos", ipqos_name(o.ip_qos_interactive) + " " + ipqos_name(o.ip_qos_bulk));
  if (o.rekey_limit_bytes > 0 || o.rekey_limit_time.count() > 0) {
    p.line("rekeylimit", std::to_string(o.rekey_limit_bytes) + " " + seconds(o.rekey_limit_time));
  }
  char mask[8];
  std::snprintf(mask, sizeof mask, "%04o", o.stream_local_bind_mask & 0777u);
  p.line("streamlocalbindmask", mask);
  p.line("syslogfacility", o.syslog_facility);
  if (!o.version_addendum.empty()) p.line("versionaddendum", o.version_addendum);
  if (!o.proxy_command.empty()) p.line("proxycommand", o.proxy_command_as_written);
  if (!o.proxy_jump.empty()) p.line("proxyjump", o.proxy_jump);
  // What sshplex only accepts and ssh shows elsewhere in its list.
  for (const auto& [keyword, values] : o.accepted_values) {
    static const std::string_view kShown[] = {"canonicalizefallbacklocal",
                                              "canonicalizehostname",
                                              "checkhostip",
                                              "enablesshkeysign",
                                              "fingerprinthash",
                                              "gssapiauthentication",
                                              "gssapidelegatecredentials",
                                              "hostbasedauthentication",
                                              "nohostauthenticationforlocalhost",
                                              "permitlocalcommand",
                                              "proxyusefdpass",

                                              "tunnel",
                                              "tunneldevice",
                                              "verifyhostkeydns",
                                              "visualhostkey",
                                              "hostkeyalias",
                                              "addkeystoagent"};
    if (std::find(std::begin(kShown), std::end(kShown), keyword) != std::end(kShown)) continue;
    p.accepted(o, keyword, "");
  }
  // sshplex's own directives, after ssh's.
  p.number("poolsize", o.pool_size);
  p.number("poolmaxsize", o.pool_max_size);
  p.number("channelsperconnection", o.channels_per_connection);
  p.number("poolidletimeout", o.pool_idle_timeout.count());
  p.flag("reconnect", o.reconnect);
  p.number("reconnectmaxdelay", o.reconnect_max_delay.count());
  p.number("transportwaittimeout", o.transport_wait_timeout.count());
  p.number("maxclients", o.max_clients);
  p.number("maxpendingopens", o.max_pending_opens);
  p.number("draintimeout", o.drain_timeout.count());
  if (o.metrics_listen) {
    const auto& m = *o.metrics_listen;
    const bool v6 = m.address.find(':') != std::string::npos;
    p.line("metricslisten", (v6 ? "[" + m.address + "]" : m.address) + ":" + std::to_string(m.port));
  }
  p.line("logtarget", o.log_target == Options::LogTarget::syslog    ? "syslog"
                      : o.log_target == Options::LogTarget::journal ? "journal"
                                                                    : "stderr");
  if (!o.socks_credentials_file.empty()) p.line("sockscredentialsfile", o.socks_credentials_file);
  p.flag("socksallowopenproxy", o.socks_allow_open_proxy);
  p.flag("vpn", o.vpn);
  for (const auto& cidr : o.vpn_routes) p.line("vpnroute", cidr.text());
  for (const auto& cidr : o.vpn_excludes) p.line("vpnexclude", cidr.text());
  p.line("vpndns", o.vpn_dns);
  p.line("vpndevice", o.vpn_device);
  p.number("vpnmtu", o.vpn_mtu);
  p.line("vpnaddress", o.vpn_network4.text() + " " + o.vpn_network6.text());
  p.flag("vpnipv6", o.vpn_ipv6);
  p.flag("vpnkillswitch", o.vpn_kill_switch);
  p.number("vpntable", o.vpn_table);
  return p.take();
}

}  // namespace gateway::config
