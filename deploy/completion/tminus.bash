# bash completion for tminus: subcommands, their flags (read from --help, so
# they never go stale), job ids and worker names from the coordinator.
# Installed as share/bash-completion/completions/tminus; or `source` it.

_tminus_commands="submit watch status list cancel workers drain undrain report scale demo cluster"

# The coordinator flags typed so far (-c/--coordinator, tokens, TLS), to ask
# the same coordinator for ids.
_tminus_global_args() {
  local i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${COMP_WORDS[i]}" in
      -c|--coordinator|--token-file|--tls-ca|--tls-cert|--tls-key)
        printf '%s\n%s\n' "${COMP_WORDS[i]}" "${COMP_WORDS[i + 1]}" ;;
    esac
  done
}

_tminus() {
  local cur prev command i
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD - 1]}"
  command=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case " $_tminus_commands " in
      *" ${COMP_WORDS[i]} "*) command="${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$prev" in
    -o|--output|--format) COMPREPLY=($(compgen -W "table json csv" -- "$cur")); return ;;
    --executor)
      local executors="threads processes"
      [[ "$command" == scale ]] && executors+=" both"
      COMPREPLY=($(compgen -W "$executors" -- "$cur")); return ;;
    --state) COMPREPLY=($(compgen -W "queued running succeeded failed cancelled" -- "$cur")); return ;;
    --placement) COMPREPLY=($(compgen -W "any packed spread" -- "$cur")); return ;;
    --token-file|--tls-ca|--tls-cert|--tls-key|--out|--hosts-file)
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  if [[ -z "$command" ]]; then
    if [[ "$cur" == -* ]]; then
      COMPREPLY=($(compgen -W "$(tminus --help 2>/dev/null | grep -oE -- '--[a-z][a-z-]*')" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$_tminus_commands" -- "$cur"))
    fi
    return
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(tminus "$command" --help 2>/dev/null | grep -oE -- '--[a-z][a-z-]*')" -- "$cur"))
    return
  fi
  local -a global
  mapfile -t global < <(_tminus_global_args)
  case "$command" in
    watch|status|cancel|report)
      COMPREPLY=($(compgen -W "$(tminus "${global[@]}" list --limit 200 -o csv 2>/dev/null | tail -n +2 | cut -d, -f1)" -- "$cur")) ;;
    drain|undrain)
      COMPREPLY=($(compgen -W "$(tminus "${global[@]}" workers -o csv 2>/dev/null | tail -n +2 | cut -d, -f1)" -- "$cur")) ;;
    cluster) COMPREPLY=($(compgen -W "up down" -- "$cur")) ;;
  esac
}
complete -F _tminus tminus
