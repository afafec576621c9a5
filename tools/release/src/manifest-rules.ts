import { planCjsEntries } from '../cjs-entry.mjs';
import type { Manifest } from './workspace.js';

/** What a published package's folder holds beside its manifest. */
export interface PackageFiles {
  /** The package's LICENSE text, or undefined when it has none. */
  readonly license: string | undefined;
  /** The package's README.md text, or undefined when it has none. */
  readonly readme: string | undefined;
}

/** The repository root's manifest and LICENSE: the values every package must repeat. */
export interface RootFacts {
  readonly manifest: Manifest;
  readonly license: string;
}

const LICENSE = 'Apache-2.0';

/**
 * Checks what npm shows about a package and what users read first: license (and its file, the same
 * text as the root's), author, repository (with the package's folder), homepage, bugs, keywords,
 * engines equal to the root's, the exports shape with a CommonJS face for every entry, and a README
 * with the install command, an example and links.
 *
 * @param rel the package's folder relative to the root (`packages/consumer`)
 * @returns one line per problem; empty when the package is fine
 */
export function manifestProblems(
  rel: string,
  manifest: Manifest,
  files: PackageFiles,
  root: RootFacts,
): string[] {
  const problems: string[] = [];
  const rootRepository = repositoryUrl(root.manifest.repository);
  if (manifest.license !== LICENSE) problems.push(`license is ${str(manifest.license)}, not ${LICENSE}`);
  if (files.license === undefined) problems.push('no LICENSE file (copy the root LICENSE)');
  else if (files.license !== root.license) problems.push('LICENSE differs from the root LICENSE');
  if (typeof manifest.author !== 'string' || manifest.author === '') problems.push('no author');
  const repository = manifest.repository as
    | { type?: unknown; url?: unknown; directory?: unknown }
    | undefined;
  if (repository?.type !== 'git' || repository.url !== rootRepository || repository.directory !== rel) {
    problems.push(`repository must be { type: "git", url: "${rootRepository}", directory: "${rel}" }`);
  }
  const web = rootRepository.replace(/^git\+/, '').replace(/\.git$/, '');
  if (typeof manifest.homepage !== 'string' || !manifest.homepage.startsWith(`${web}/`)) {
    problems.push(`homepage must lie under ${web}/`);
  }
  if ((manifest.bugs as { url?: unknown } | undefined)?.url !== `${web}/issues`) {
    problems.push(`bugs.url must be ${web}/issues`);
  }
  const keywords = manifest.keywords;
  if (!Array.isArray(keywords) || !keywords.includes('kafka')) problems.push('keywords must include "kafka"');
  const engines = (manifest.engines as { node?: unknown } | undefined)?.node;
  const rootEngines = (root.manifest.engines as { node?: unknown } | undefined)?.node;
  if (engines !== rootEngines)
    problems.push(`engines.node is ${str(engines)}, the root says ${str(rootEngines)}`);
  if (manifest.type !== 'module') problems.push('type must be "module" (every package is ESM)');
  problems.push(...exportsProblems(manifest));
  problems.push(...readmeProblems(manifest.name, files.readme));
  return problems;
}

function exportsProblems(manifest: Manifest): string[] {
  const exportsField = manifest.exports;
  if (typeof exportsField !== 'object' || exportsField === null) return ['no exports map'];
  let planned: string[];
  try {
    planned = planCjsEntries(manifest).map((e) => e.subpath);
  } catch (error) {
    return [(error as Error).message];
  }
  const entries = Object.keys(exportsField).filter((subpath) => !subpath.endsWith('.json'));
  return entries
    .filter((subpath) => !planned.includes(subpath))
    .map((subpath) => `exports["${subpath}"] has no require condition (see tools/release/cjs-entry.mjs)`);
}

function readmeProblems(name: string, readme: string | undefined): string[] {
  if (readme === undefined) return ['no README.md'];
  const problems: string[] = [];
  if (!readme.includes(`npm install ${name}`))
    problems.push(`README.md does not show \`npm install ${name}\``);
  if (!/```(ts|js|sh)\n/.test(readme)) problems.push('README.md has no example code block');
  if (!/^## Links$/m.test(readme)) problems.push('README.md has no "## Links" section');
  return problems;
}

function repositoryUrl(repository: unknown): string {
  const url = (repository as { url?: unknown } | undefined)?.url;
  return typeof url === 'string' ? url : '(the root package.json has no repository.url)';
}

function str(value: unknown): string {
  return value === undefined ? 'missing' : JSON.stringify(value);
}
