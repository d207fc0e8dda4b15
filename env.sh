# source env.sh — the project's virtualenv, anvil and offline solc for commands typed by hand.
_zkmnist_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)"
export SOLCX_BINARY_PATH="$_zkmnist_root/.solc"
export PATH="$_zkmnist_root/.venv/bin:$_zkmnist_root/node_modules/.bin:$PATH"
unset _zkmnist_root
