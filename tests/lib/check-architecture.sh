#!/bin/sh
# The house's rules, checked: every source file described in ARCHITECTURE.md, and includes only downward.
#
# Each folder under blockd/ has a README.md with one line "May include: A, B" naming the folders
# (and `rules` for the list library) whose headers its files may include; a header of the same
# folder is included by its bare name, one of another folder as "folder/name.h". rules/ includes
# only itself.
set -u
cd "$(dirname "$0")/../.."
rc=0
say() {
	echo "$*"
	rc=1
}

for f in blockd/*/*.[ch] rules/*.[ch]; do
	grep -q "^| \`$f\` |" ARCHITECTURE.md || say "ARCHITECTURE.md: $f is not described (add a line to its table)"
done
for f in $(sed -n 's/^| `\([^`]*\.[ch]\)` |.*/\1/p' ARCHITECTURE.md); do
	[ -e "$f" ] || say "ARCHITECTURE.md: $f is described but does not exist"
done
for f in blockd/*.[ch]; do
	[ -e "$f" ] && say "$f: source files live in a folder of blockd/ (see ARCHITECTURE.md)"
done

# includes FILE: the quoted includes of FILE, one a line.
includes() {
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1"
}

for dir in blockd/*/; do
	dir=${dir%/}
	folder=${dir#blockd/}
	readme=$dir/README.md
	if [ ! -f "$readme" ]; then
		say "$dir: no README.md saying what lives there and what it may include"
		continue
	fi
	allowed=$(sed -n 's/^May include: *//p' "$readme" | tr -d ' .' | tr ',' ' ')
	[ -n "$allowed" ] || say "$readme: no line \"May include: ...\" (write \"May include: nothing\" for none)"
	for f in "$dir"/*.[ch]; do
		[ -e "$f" ] || continue
		for h in $(includes "$f"); do
			case $h in
			*/*)
				top=${h%%/*}
				[ -e "blockd/$h" ] || {
					say "$f: includes \"$h\", which is not a header under blockd/"
					continue
				}
				[ "$top" = "$folder" ] && {
					say "$f: includes \"$h\" from its own folder: write \"${h#*/}\""
					continue
				}
				case " $allowed " in
				*" $top "*) ;;
				*) say "$f: includes \"$h\", but $folder/ may include only: $allowed ($readme)" ;;
				esac
				;;
			*)
				if [ -e "$dir/$h" ]; then
					:
				elif [ -e "rules/$h" ]; then
					case " $allowed " in
					*" rules "*) ;;
					*) say "$f: includes \"$h\" from rules/, but $folder/ may include only: $allowed ($readme)" ;;
					esac
				else
					other=$(cd blockd && ls ./*/"$h" 2>/dev/null | head -n 1)
					if [ -n "$other" ]; then
						say "$f: includes \"$h\" by its bare name; it lives in another folder: write \"${other#./}\""
					else
						say "$f: includes \"$h\", which is in neither $dir/ nor rules/"
					fi
				fi
				;;
			esac
		done
	done
done

for f in rules/*.[ch]; do
	for h in $(includes "$f"); do
		[ -e "rules/$h" ] || say "$f: includes \"$h\"; rules/ is the lower library and includes only itself"
	done
done
exit $rc
