// no substitution inside single quotes; double quotes get the value quoted
define($L hello);
FromDevice(0) -> Print('$L') -> Print("$L") -> Print($L) -> Discard;
