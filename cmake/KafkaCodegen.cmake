# Placeholder until the protocol code generator lands: defines kafka_codegen()
# as a no-op so the build graph is stable.
function(kafka_codegen)
endfunction()
