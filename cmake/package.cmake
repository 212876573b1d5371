# `cpack -G DEB` in a build directory makes sshplex_<version>_<arch>.deb from every install() rule
# of the project (the binary, the man pages, ...) plus what is installed here: the systemd units,
# the sysusers.d entry, the README and conf/*.conf as examples. Depends comes from dpkg-shlibdeps.
# The maintainer scripts (packaging/debian/) create the user sshplex and /etc/sshplex, and talk to
# systemd only when it is running. scripts/package-check.sh builds, installs and checks the package.
include(GNUInstallDirs)

# Absolute: Debian 12's systemd and dpkg expect units under /lib (not /usr/lib) until the /usr merge
# is complete. The units run /usr/bin/sshplex: they are written for the package's prefix.
set(SSHPLEX_SYSTEMD_UNIT_DIR "/lib/systemd/system" CACHE PATH "Where the systemd units are installed")

install(FILES conf/systemd/sshplex.service conf/systemd/sshplex@.service
        DESTINATION ${SSHPLEX_SYSTEMD_UNIT_DIR})
install(FILES conf/systemd/sshplex.sysusers DESTINATION lib/sysusers.d RENAME sshplex.conf)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB SSHPLEX_EXAMPLE_CONFIGS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/conf/*.conf)
install(FILES ${SSHPLEX_EXAMPLE_CONFIGS} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sshplex)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "sshplex developers")
set(CPACK_PACKAGE_CONTACT "sshplex developers <sshplex@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "SOCKS and forwarding gateway over SSH")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
# The extended description; CPack puts the summary first and indents each line (deb-control(5)).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "sshplex replaces ssh -N -L/-R/-D, autossh and ControlMaster with one process: a
self-healing pool of SSH-2 connections to stock OpenSSH servers carrying local,
remote and SOCKS forwards and an OpenSSH-compatible control socket. It takes
ssh's command line, ssh_config, known_hosts and ssh-agent. The systemd units
sshplex.service and sshplex@NAME.service run it as a service.")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Run with no arguments, sshplex demonstrates itself against a throwaway local sshd.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "openssh-server")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_SOURCE_DIR}/packaging/debian/postinst
    ${CMAKE_CURRENT_SOURCE_DIR}/packaging/debian/prerm
    ${CMAKE_CURRENT_SOURCE_DIR}/packaging/debian/postrm)
# Maintainer scripts 0755 and control files 0644, whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
