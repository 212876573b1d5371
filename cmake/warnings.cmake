# Strict warnings for our own targets (not for third-party headers).
function(sshplex_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Woverloaded-virtual -Wold-style-cast -Wcast-align
    -Wnull-dereference -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
  if(SSHPLEX_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
