import { Object as DataType, Property } from 'fabric-contract-api';

/**
 * The asset the tutorials trade: an ID, a colour, a size, an owner and an appraised value.
 * `@Object`/`@Property` put its JSON schema into the contract metadata (components.schemas.Asset),
 * which is what `org.hyperledger.fabric:GetMetadata` and client tooling show.
 */
@DataType()
export class Asset {
  // Types are written out: emitDecoratorMetadata records the annotated type (design:type), and an
  // inferred one would be recorded as Object.
  @Property()
  public ID: string = '';

  @Property()
  public Color: string = '';

  @Property()
  public Size: number = 0;

  @Property()
  public Owner: string = '';

  @Property()
  public AppraisedValue: number = 0;
}

/** The plain fields of an Asset, as stored in the world state. */
export interface AssetFields {
  readonly ID: string;
  readonly Color: string;
  readonly Size: number;
  readonly Owner: string;
  readonly AppraisedValue: number;
}
