/**
 * Options named in error messages and hints. Library code names an option with {@link opt}, which
 * reads as the option of the API (`` `weights: 'path/to.pt'` ``); the CLI prints every error through
 * {@link cliText}, which turns those into the matching flags (`--weights path/to.pt`). So one error
 * serves both audiences, and library users are never told to pass a command-line flag.
 */

/**
 * API option name -> the CLI flag that sets it (with a placeholder when the flag's value is not
 * written like the option's, e.g. `int8.images` is a list of images in the API and a folder in the CLI).
 */
const CLI_FLAGS = {
  weights: '--weights',
  model: '--model',
  nc: '--nc',
  imgsz: '--imgsz',
  maxPixels: '--max-pixels',
  dynamic: '--dynamic',
  nms: '--nms',
  heads: '--heads',
  half: '--half',
  int8: '--int8',
  'int8.images': '--calib DIR',
  images: '--images',
  workers: '--workers',
} as const;

/** An API option that has a CLI flag. */
export type OptionName = keyof typeof CLI_FLAGS;

/**
 * An option as named in an error hint: `` `name` ``, or `` `name: value` `` with an example value
 * written as in JavaScript (strings quoted). The CLI shows it as `--flag value` (see {@link cliText}).
 *
 * @example
 * new LeyoloError('WEIGHTS_NOT_FOUND', msg, `pass ${opt('weights', "'path/to.pt'")}`);
 * // library: "pass `weights: 'path/to.pt'`"   CLI: "pass --weights path/to.pt"
 */
export function opt(name: OptionName, value?: string): string {
  return value === undefined ? `\`${name}\`` : `\`${name}: ${value}\``;
}

const MARK = /`([A-Za-z][\w.]*)(?:: ([^`]*))?`/g;

/**
 * The text of an error as the CLI prints it: each option written by {@link opt} becomes its flag
 * (`` `weights: 'x.pt'` `` -> `--weights x.pt`, `` `dynamic: true` `` -> `--dynamic`); anything else
 * in backticks is left alone.
 *
 * @example
 * cliText("pass `imgsz: 640`"); // 'pass --imgsz 640'
 */
export function cliText(text: string): string {
  return text.replace(MARK, (whole, name: string, value: string | undefined) => {
    const flag = Object.hasOwn(CLI_FLAGS, name) ? CLI_FLAGS[name as OptionName] : undefined;
    if (flag === undefined) return whole;
    if (value === undefined || value === 'true' || flag.includes(' ')) return flag;
    return `${flag} ${value.replace(/^'(.*)'$/, '$1')}`;
  });
}
