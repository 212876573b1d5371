# Enforce the dependency rule at configure time: the sans-IO protocol libraries (ssh/, socks/)
# never include libuv, and only ssh/crypto/ and ssh/keys/ include OpenSSL.
file(GLOB_RECURSE _sansio_sources CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/ssh/*.cpp ${CMAKE_SOURCE_DIR}/ssh/*.hpp
  ${CMAKE_SOURCE_DIR}/socks/*.cpp ${CMAKE_SOURCE_DIR}/socks/*.hpp)
foreach(_f IN LISTS _sansio_sources)
  file(STRINGS ${_f} _uv REGEX "#include *[<\"]uv\\.h")
  if(_uv)
    message(FATAL_ERROR "${_f}: sans-IO code must not include uv.h (see docs/ARCHITECTURE.md)")
  endif()
  if(NOT _f MATCHES "/ssh/(crypto|keys)/")
    file(STRINGS ${_f} _ossl REGEX "#include *[<\"]openssl/")
    if(_ossl)
      message(FATAL_ERROR "${_f}: OpenSSL may only be included under ssh/crypto/ or ssh/keys/")
    endif()
  endif()
endforeach()
